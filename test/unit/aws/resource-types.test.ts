import { describe, expect, it } from "vitest";
import { ec2TypeOfId, RESOURCE_TYPES, resourceArn, resourceType } from "../../../functions/aws/resource-types.js";
import { REMEDIATORS } from "../../../functions/remediation/registry.js";

const SCOPE = { accountId: "111122223333", region: "eu-west-1" };

describe("resource-type table", () => {
  it("has one row per CloudFormation type and EC2 id prefixes that never shadow each other", () => {
    const types = RESOURCE_TYPES.map((t) => t.cfnType);
    expect(new Set(types).size).toBe(types.length);
    const prefixes = RESOURCE_TYPES.flatMap((t) => (t.idPrefix ? [t.idPrefix] : []));
    for (const p of prefixes) expect(prefixes.filter((q) => q !== p && q.startsWith(p)), p).toEqual([]);
  });

  it("knows every type a remediator handles", () => {
    for (const r of REMEDIATORS) expect(resourceType(r.resourceType), r.resourceType).toBeDefined();
  });

  // Formats: Service Authorization Reference, "Resource types defined by Amazon EC2 / Amazon SQS / Amazon S3 / AWS Lambda".
  it.each([
    ["AWS::EC2::SecurityGroup", "sg-0123456789abcdef0", "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0123456789abcdef0"],
    ["AWS::EC2::NatGateway", "nat-0a1b2c3d4e5f60718", "arn:aws:ec2:eu-west-1:111122223333:natgateway/nat-0a1b2c3d4e5f60718"],
    ["AWS::SQS::Queue", "https://sqs.eu-west-1.amazonaws.com/111122223333/orders", "arn:aws:sqs:eu-west-1:111122223333:orders"],
    ["AWS::S3::Bucket", "my-bucket", "arn:aws:s3:::my-bucket"],
    ["AWS::Lambda::Function", "payments-api", "arn:aws:lambda:eu-west-1:111122223333:function:payments-api"],
    ["AWS::IAM::ManagedPolicy", "arn:aws:iam::111122223333:policy/x", "arn:aws:iam::111122223333:policy/x"],
  ])("derives the ARN of %s %s", (type, id, arn) => {
    expect(resourceArn(type, id, SCOPE)).toBe(arn);
  });

  it("derives no ARN where the physical id does not determine it", () => {
    expect(resourceArn("AWS::IAM::Role", "app-role", SCOPE)).toBeUndefined();
    expect(resourceArn("AWS::Unknown::Thing", "x", SCOPE)).toBeUndefined();
    expect(resourceArn("AWS::EC2::VPC", "vpc-1", { ...SCOPE, region: "cn-north-1" })).toBe("arn:aws-cn:ec2:cn-north-1:111122223333:vpc/vpc-1");
  });

  it("tells EC2 ids apart by prefix, and names are not ids", () => {
    expect(ec2TypeOfId("sg-0abc")?.cfnType).toBe("AWS::EC2::SecurityGroup");
    expect(ec2TypeOfId("subnet-0abc")?.cfnType).toBe("AWS::EC2::Subnet");
    expect(ec2TypeOfId("default")).toBeUndefined();
  });
});
