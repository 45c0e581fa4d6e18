import { describe, expect, it } from "vitest";
import { describeDifferences, topLevelProperty } from "../../../functions/remediation/differences.js";
import { samePolicy } from "../../../functions/remediation/policy-document.js";
import { describeRule, ruleFromLive, ruleFromTemplate, ruleKey } from "../../../functions/remediation/sg-rules.js";
import { tagsToRestore } from "../../../functions/core/tags.js";

describe("samePolicy", () => {
  const doc = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: "*" }] };

  it("ignores key order, list order, duplicates and one-element lists", () => {
    expect(samePolicy(doc, { Statement: { Resource: ["*"], Action: ["s3:ListBucket", "s3:GetObject", "s3:GetObject"], Effect: "Allow" }, Version: "2012-10-17" })).toBe(true);
  });

  it("URL-decodes documents the way IAM returns them, and parses JSON strings", () => {
    expect(samePolicy(doc, encodeURIComponent(JSON.stringify(doc)))).toBe(true);
    expect(samePolicy(JSON.stringify(doc), doc)).toBe(true);
  });

  it("treats an account id principal as its root ARN, and condition numbers as strings", () => {
    const a = { Statement: [{ Effect: "Allow", Principal: { AWS: "111122223333" }, Action: "sts:AssumeRole", Condition: { NumericLessThan: { "aws:MultiFactorAuthAge": 3600 } } }] };
    const b = { Statement: [{ Effect: "Allow", Principal: { AWS: ["arn:aws:iam::111122223333:root"] }, Action: "sts:AssumeRole", Condition: { NumericLessThan: { "aws:MultiFactorAuthAge": "3600" } } }] };
    expect(samePolicy(a, b)).toBe(true);
  });

  it("sees widened actions, resources and principals", () => {
    expect(samePolicy(doc, { ...doc, Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] })).toBe(false);
    expect(samePolicy({ Statement: [{ Principal: { AWS: "111122223333" } }] }, { Statement: [{ Principal: "*" }] })).toBe(false);
    expect(samePolicy({ Statement: [{ Resource: "111122223333" }] }, { Statement: [{ Resource: "arn:aws:iam::111122223333:root" }] })).toBe(false);
  });
});

describe("security group rule keys", () => {
  it("gives the template's and EC2's spelling of one rule the same key", () => {
    const pairs: [Record<string, unknown>, Parameters<typeof ruleFromLive>[0]][] = [
      [{ IpProtocol: "6", FromPort: "22", ToPort: "22", CidrIp: "10.0.0.0/8" }, { IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIpv4: "10.0.0.0/8" }],
      [{ IpProtocol: -1, CidrIpv6: "2001:DB8::/32", FromPort: 0, ToPort: 65535 }, { IpProtocol: "-1", FromPort: -1, ToPort: -1, CidrIpv6: "2001:db8::/32" }],
      [{ IpProtocol: "icmp", FromPort: 8, ToPort: -1, SourcePrefixListId: "pl-1" }, { IpProtocol: "icmp", FromPort: 8, ToPort: -1, PrefixListId: "pl-1" }],
      [{ IpProtocol: "50", SourceSecurityGroupId: "sg-9" }, { IpProtocol: "50", FromPort: -1, ToPort: -1, ReferencedGroupInfo: { GroupId: "sg-9", UserId: "111122223333" } }],
    ];
    for (const [template, live] of pairs) {
      const t = ruleFromTemplate("ingress", template);
      if ("unsupported" in t) throw new Error(t.unsupported);
      expect(ruleKey(t)).toBe(ruleKey(ruleFromLive({ ...live, IsEgress: false })));
    }
  });

  it("tells directions, ports and peers apart", () => {
    const ssh = ruleFromLive({ IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIpv4: "0.0.0.0/0", IsEgress: false });
    expect(ruleKey(ssh)).not.toBe(ruleKey({ ...ssh, direction: "egress" }));
    expect(ruleKey(ssh)).not.toBe(ruleKey({ ...ssh, toPort: 23 }));
    expect(ruleKey(ssh)).not.toBe(ruleKey({ ...ssh, peer: { kind: "cidr4", cidr: "10.0.0.0/8" } }));
  });

  it("describes rules for people", () => {
    expect(describeRule(ruleFromLive({ IpProtocol: "tcp", FromPort: 1000, ToPort: 2000, ReferencedGroupInfo: { GroupId: "sg-1" }, IsEgress: false }))).toBe("tcp 1000-2000 from sg-1");
    expect(describeRule(ruleFromLive({ IpProtocol: "icmp", FromPort: -1, ToPort: -1, CidrIpv4: "10.0.0.0/8", IsEgress: true }))).toBe("icmp all to 10.0.0.0/8");
    expect(describeRule(ruleFromLive({ IpProtocol: "icmpv6", FromPort: 128, ToPort: 0, CidrIpv6: "::/0", IsEgress: false }))).toBe("icmpv6 type 128 code 0 from ::/0");
  });
});

describe("tagsToRestore", () => {
  it("returns only managed, non-aws tags whose live value differs", () => {
    const expected = [
      { Key: "team", Value: "payments" },
      { Key: "env", Value: "prod" },
      { Key: "aws:cloudformation:stack-name", Value: "x" },
    ];
    expect(tagsToRestore(expected, { team: "payments", env: "dev", owner: "alice" })).toEqual({ env: "prod" });
    expect(tagsToRestore(expected, {})).toEqual({ team: "payments", env: "prod" });
    expect(tagsToRestore(undefined, { owner: "alice" })).toEqual({});
  });
});

describe("describeDifferences", () => {
  it("names the property and both values, and caps long lists", () => {
    expect(topLevelProperty("/Policies/0/PolicyDocument")).toBe("Policies");
    expect(
      describeDifferences([
        { propertyPath: "/VisibilityTimeout", expectedValue: "30", actualValue: "60", differenceType: "NOT_EQUAL" },
        { propertyPath: "/Tags/1", expectedValue: "null", actualValue: '{"Key":"x","Value":"y"}', differenceType: "ADD" },
        { propertyPath: "/RedrivePolicy", expectedValue: "{}", actualValue: "null", differenceType: "REMOVE" },
      ]),
    ).toBe('/VisibilityTimeout expected 30, actual 60; /Tags/1 added {"Key":"x","Value":"y"}; /RedrivePolicy removed (expected {})');
    const many = Array.from({ length: 7 }, (_, i) => ({ propertyPath: `/P${i}`, expectedValue: "a", actualValue: "b", differenceType: "NOT_EQUAL" as const }));
    expect(describeDifferences(many)).toMatch(/; and 2 more$/);
  });
});
