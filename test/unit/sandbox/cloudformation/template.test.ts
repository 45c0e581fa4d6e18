import { describe, expect, it } from "vitest";
import { creationOrder } from "../../../../sandbox/emulator/services/cloudformation/template/dependencies.js";
import { evaluateConditions, resolveValue, type ResolveScope } from "../../../../sandbox/emulator/services/cloudformation/template/intrinsics.js";
import { bindParameters, parameterValues } from "../../../../sandbox/emulator/services/cloudformation/template/parameters.js";
import { parseTemplate } from "../../../../sandbox/emulator/services/cloudformation/template/parse.js";
import { parameterNames } from "../../../../sandbox/emulator/services/cloudformation/provision.js";

function scope(overrides: Partial<ResolveScope> = {}): ResolveScope {
  const resources: Record<string, { physicalId: string; attributes: Record<string, string> }> = {
    Role: { physicalId: "app-Role-ABC", attributes: { Arn: "arn:aws:iam::111111111111:role/app-Role-ABC" } },
    Group: { physicalId: "sg-0123", attributes: { GroupId: "sg-0123" } },
  };
  return {
    parameters: { Env: "prod", Subnets: ["subnet-a", "subnet-b"], "AWS::Region": "eu-west-1", "AWS::AccountId": "111111111111" },
    mappings: { Sizes: { prod: { Memory: "512" } } },
    region: "eu-west-1",
    condition: (name) => name === "IsProd",
    resource: (id) => resources[id],
    ...overrides,
  };
}

describe("parseTemplate", () => {
  it("rewrites YAML short forms to the long JSON form", () => {
    const template = parseTemplate(`
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "\${AWS::StackName}-data"
      Tags:
        - Key: role
          Value: !GetAtt Role.Arn
        - Key: list
          Value: !Join [",", [!Ref A, !Select [0, !Split ["-", "x-y"]]]]
        - Key: cond
          Value: !If [IsProd, !Ref AWS::NoValue, !Base64 abc]
`);
    expect(template.Resources.Bucket.Properties).toEqual({
      BucketName: { "Fn::Sub": "${AWS::StackName}-data" },
      Tags: [
        { Key: "role", Value: { "Fn::GetAtt": ["Role", "Arn"] } },
        { Key: "list", Value: { "Fn::Join": [",", [{ Ref: "A" }, { "Fn::Select": [0, { "Fn::Split": ["-", "x-y"] }] }]] } },
        { Key: "cond", Value: { "Fn::If": ["IsProd", { Ref: "AWS::NoValue" }, { "Fn::Base64": "abc" }] } },
      ],
    });
  });

  it("parses JSON templates", () => {
    const template = parseTemplate(JSON.stringify({ Resources: { Topic: { Type: "AWS::SNS::Topic" } } }));
    expect(template.Resources.Topic.Type).toBe("AWS::SNS::Topic");
  });

  it("reports malformed templates as CloudFormation template format errors", () => {
    expect(() => parseTemplate("Resources: {}")).toThrow("Template format error: At least one Resources member must be defined.");
    expect(() => parseTemplate("{ not json")).toThrow(/Template format error: JSON not well-formed/);
    expect(() => parseTemplate("Resources:\n  A: [unclosed")).toThrow(/Template format error: YAML not well-formed/);
    expect(() => parseTemplate("Resources:\n  A:\n    Properties: {}")).toThrow(/must contain a Type member/);
  });
});

describe("resolveValue", () => {
  it.each([
    ["Ref to a parameter", { Ref: "Env" }, "prod"],
    ["Ref to a resource", { Ref: "Role" }, "app-Role-ABC"],
    ["Ref to a list parameter", { Ref: "Subnets" }, ["subnet-a", "subnet-b"]],
    ["Fn::GetAtt", { "Fn::GetAtt": ["Role", "Arn"] }, "arn:aws:iam::111111111111:role/app-Role-ABC"],
    ["Fn::Sub with parameters and attributes", { "Fn::Sub": "${Env}-${Role.Arn}-${AWS::Region}" }, "prod-arn:aws:iam::111111111111:role/app-Role-ABC-eu-west-1"],
    ["Fn::Sub escape", { "Fn::Sub": "${!Literal}-${Env}" }, "${Literal}-prod"],
    ["Fn::Sub with its own variables", { "Fn::Sub": ["${Name}:${Env}", { Name: { Ref: "Group" } }] }, "sg-0123:prod"],
    ["Fn::Join", { "Fn::Join": ["/", ["a", { Ref: "Env" }, 3]] }, "a/prod/3"],
    ["Fn::Select over Fn::Split", { "Fn::Select": [1, { "Fn::Split": [",", "x,y,z"] }] }, "y"],
    ["Fn::If true branch", { "Fn::If": ["IsProd", "big", "small"] }, "big"],
    ["Fn::If false branch", { "Fn::If": ["IsDev", "big", "small"] }, "small"],
    ["Fn::FindInMap", { "Fn::FindInMap": ["Sizes", { Ref: "Env" }, "Memory"] }, "512"],
    ["Fn::Base64", { "Fn::Base64": "hi" }, "aGk="],
    ["Fn::GetAZs", { "Fn::GetAZs": "" }, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]],
  ])("%s", (_name, input, expected) => {
    expect(resolveValue(input, scope())).toEqual(expected);
  });

  it("drops properties and list items that resolve to AWS::NoValue", () => {
    const value = { Keep: 1, Drop: { "Fn::If": ["IsDev", "x", { Ref: "AWS::NoValue" }] }, List: ["a", { Ref: "AWS::NoValue" }] };
    expect(resolveValue(value, scope())).toEqual({ Keep: 1, List: ["a"] });
  });

  it("rejects GetAtt on an attribute the resource doesn't have, with CloudFormation's message", () => {
    expect(() => resolveValue({ "Fn::GetAtt": ["Group", "Arn"] }, scope())).toThrow(
      "Template error: resource Group does not support attribute type Arn in Fn::GetAtt",
    );
  });

  it("evaluates Conditions that refer to parameters and to each other", () => {
    const condition = evaluateConditions(
      {
        IsProd: { "Fn::Equals": [{ Ref: "Env" }, "prod"] },
        IsNotProd: { "Fn::Not": [{ Condition: "IsProd" }] },
        Both: { "Fn::And": [{ Condition: "IsProd" }, { "Fn::Or": [{ Condition: "IsNotProd" }, true] }] },
      },
      scope(),
    );
    expect([condition("IsProd"), condition("IsNotProd"), condition("Both")]).toEqual([true, false, true]);
  });
});

describe("creationOrder", () => {
  it("creates resources after what they reference or DependsOn, otherwise in template order", () => {
    const template = parseTemplate(`
Resources:
  Policy:
    Type: AWS::IAM::Policy
    Properties:
      Roles: [!Ref Role]
      PolicyName: !Sub "\${Bucket.Arn}"
  Bucket:
    Type: AWS::S3::Bucket
    DependsOn: Queue
  Role:
    Type: AWS::IAM::Role
  Queue:
    Type: AWS::SQS::Queue
`);
    expect(creationOrder(template, parameterNames(template))).toEqual(["Role", "Queue", "Bucket", "Policy"]);
  });

  it("rejects references to unknown names and dependency cycles", () => {
    const unknown = parseTemplate("Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n      X: !Ref Missing\n");
    expect(() => creationOrder(unknown, parameterNames(unknown))).toThrow(
      "Template format error: Unresolved resource dependencies [Missing] in the Resources block of the template",
    );
    const cycle = parseTemplate("Resources:\n  A:\n    Type: AWS::SQS::Queue\n    DependsOn: B\n  B:\n    Type: AWS::SQS::Queue\n    Properties:\n      X: !GetAtt A.Arn\n");
    expect(() => creationOrder(cycle, parameterNames(cycle))).toThrow("Circular dependency between resources: [A, B]");
  });
});

describe("parameters", () => {
  const template = parseTemplate(`
Parameters:
  Env: { Type: String, Default: dev, AllowedValues: [dev, prod] }
  Subnets: { Type: "List<AWS::EC2::Subnet::Id>" }
Resources:
  T: { Type: AWS::SNS::Topic }
`);

  it("binds caller values over defaults and types list parameters", () => {
    const bound = bindParameters(template, [{ ParameterKey: "Subnets", ParameterValue: "subnet-a,subnet-b" }]);
    expect(bound).toEqual({ Env: "dev", Subnets: "subnet-a,subnet-b" });
    expect(parameterValues(template, bound).Subnets).toEqual(["subnet-a", "subnet-b"]);
  });

  it("rejects missing, unknown and disallowed values with CloudFormation's messages", () => {
    expect(() => bindParameters(template, [])).toThrow("Parameters: [Subnets] must have values");
    expect(() => bindParameters(template, [{ ParameterKey: "Nope", ParameterValue: "x" }])).toThrow(
      "Parameters: [Nope] do not exist in the template",
    );
    expect(() =>
      bindParameters(template, [
        { ParameterKey: "Subnets", ParameterValue: "s" },
        { ParameterKey: "Env", ParameterValue: "qa" },
      ]),
    ).toThrow("Parameter 'Env' must be one of AllowedValues");
  });
});
