import { describe, expect, it } from "vitest";
import { compareProperties, renderValue, type PropertyShapes } from "../../../../sandbox/emulator/services/cloudformation/drift/compare.js";

const TAGS: PropertyShapes = { Tags: { kind: "set", key: "Key", onlyExpectedKeys: true } };

describe("compareProperties", () => {
  it("compares only the properties the template sets, scalars by their string form", () => {
    const result = compareProperties(
      { FromPort: "80", Nested: { A: 1 } },
      { FromPort: 80, Nested: { A: 1, ServiceDefault: true }, NotInTemplate: "x" },
      {},
    );
    expect(result.differences).toEqual([]);
    expect(result.actual).toEqual({ FromPort: 80, Nested: { A: 1 } });
  });

  it("reports a property missing from the live resource as REMOVE with ActualValue null", () => {
    const expected = { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" } }] } };
    expect(compareProperties(expected, {}, {}).differences).toEqual([
      {
        PropertyPath: "/BucketEncryption",
        ExpectedValue: JSON.stringify(expected.BucketEncryption),
        ActualValue: "null",
        DifferenceType: "REMOVE",
      },
    ]);
  });

  it("reports changed scalars as NOT_EQUAL at their full path", () => {
    const result = compareProperties({ Config: { BlockPublicAcls: true } }, { Config: { BlockPublicAcls: false } }, {});
    expect(result.differences).toEqual([
      { PropertyPath: "/Config/BlockPublicAcls", ExpectedValue: "true", ActualValue: "false", DifferenceType: "NOT_EQUAL" },
    ]);
  });

  it("compares unordered lists as sets: order is not drift, extra items are ADD, missing ones REMOVE", () => {
    const shapes: PropertyShapes = { Arns: { kind: "set" } };
    expect(compareProperties({ Arns: ["a", "b"] }, { Arns: ["b", "a"] }, shapes).differences).toEqual([]);
    expect(compareProperties({ Arns: ["a", "b"] }, { Arns: ["b", "c"] }, shapes).differences).toEqual([
      { PropertyPath: "/Arns/0", ExpectedValue: "a", ActualValue: "null", DifferenceType: "REMOVE" },
      { PropertyPath: "/Arns/1", ExpectedValue: "null", ActualValue: "c", DifferenceType: "ADD" },
    ]);
  });

  it("compares ordered lists position by position", () => {
    expect(compareProperties({ L: ["a", "b"] }, { L: ["b", "a", "c"] }, {}).differences.map((d) => [d.PropertyPath, d.DifferenceType])).toEqual([
      ["/L/0", "NOT_EQUAL"],
      ["/L/1", "NOT_EQUAL"],
      ["/L/2", "ADD"],
    ]);
  });

  it("ignores tags the template doesn't manage and reports changed managed tag values", () => {
    const expected = { Tags: [{ Key: "team", Value: "core" }, { Key: "env", Value: "prod" }] };
    const outOfBand = { Tags: [{ Key: "env", Value: "prod" }, { Key: "owner", Value: "alice" }, { Key: "team", Value: "core" }] };
    const quiet = compareProperties(expected, outOfBand, TAGS);
    expect(quiet.differences).toEqual([]);
    expect(quiet.actual.Tags).toEqual([{ Key: "env", Value: "prod" }, { Key: "team", Value: "core" }]);

    const changed = compareProperties(expected, { Tags: [{ Key: "team", Value: "other" }] }, TAGS);
    expect(changed.differences).toEqual([
      { PropertyPath: "/Tags/0/Value", ExpectedValue: "core", ActualValue: "other", DifferenceType: "NOT_EQUAL" },
      { PropertyPath: "/Tags/1", ExpectedValue: JSON.stringify({ Key: "env", Value: "prod" }), ActualValue: "null", DifferenceType: "REMOVE" },
    ]);
  });

  describe("policy documents", () => {
    const shapes: PropertyShapes = { Doc: { kind: "policy" } };
    const statement = { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" };

    it("treats a single string and a one-element list, and a JSON string and an object, as equal", () => {
      const live = JSON.stringify({ Version: "2012-10-17", Statement: [{ ...statement, Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::b/*"] }] });
      expect(compareProperties({ Doc: { Version: "2012-10-17", Statement: statement } }, { Doc: live }, shapes).differences).toEqual([]);
    });

    it("ignores the order of actions but reports a widened action", () => {
      const expected = { Doc: { Statement: [{ ...statement, Action: ["s3:GetObject", "s3:PutObject"] }] } };
      expect(compareProperties(expected, { Doc: { Statement: [{ ...statement, Action: ["s3:PutObject", "s3:GetObject"] }] } }, shapes).differences).toEqual([]);
      expect(compareProperties({ Doc: { Statement: [statement] } }, { Doc: { Statement: [{ ...statement, Action: "s3:*" }] } }, shapes).differences).toEqual([
        { PropertyPath: "/Doc/Statement/0/Action/0", ExpectedValue: "s3:GetObject", ActualValue: "null", DifferenceType: "REMOVE" },
        { PropertyPath: "/Doc/Statement/0/Action/0", ExpectedValue: "null", ActualValue: "s3:*", DifferenceType: "ADD" },
      ]);
    });

    it("reports an element added to a statement, such as a condition, because every field of a policy counts", () => {
      const live = { Statement: [{ ...statement, Condition: { Bool: { "aws:SecureTransport": "false" } } }] };
      expect(compareProperties({ Doc: { Statement: [statement] } }, { Doc: live }, shapes).differences).toEqual([
        {
          PropertyPath: "/Doc/Statement/0/Condition",
          ExpectedValue: "null",
          ActualValue: JSON.stringify({ Bool: { "aws:SecureTransport": ["false"] } }),
          DifferenceType: "NOT_EQUAL",
        },
      ]);
    });
  });

  it("renders values as PropertyDifferences carries them", () => {
    expect([renderValue("text"), renderValue(22), renderValue(true), renderValue({ a: 1 }), renderValue(undefined)]).toEqual([
      "text",
      "22",
      "true",
      '{"a":1}',
      "null",
    ]);
  });
});
