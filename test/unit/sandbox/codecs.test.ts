import { describe, expect, it } from "vitest";
import type { WireRequest } from "../../../sandbox/emulator/protocol/codec.js";
import { jsonCodec } from "../../../sandbox/emulator/protocol/json.js";
import { decodeQueryRequest, ec2Codec, queryCodec } from "../../../sandbox/emulator/protocol/query.js";
import { restXmlCodec } from "../../../sandbox/emulator/protocol/rest-xml.js";
import { AwsError, type ServiceDefinition } from "../../../sandbox/emulator/protocol/types.js";

function service(name: string, protocol: ServiceDefinition["protocol"], actions: string[], xmlNamespace?: string): ServiceDefinition {
  return { name, protocol, xmlNamespace, actions: Object.fromEntries(actions.map((a) => [a, () => ({})])) };
}

function form(body: string): WireRequest {
  return { method: "POST", path: "/", query: {}, headers: { "content-type": "application/x-www-form-urlencoded" }, body: Buffer.from(body) };
}

function rest(method: string, path: string, query: Record<string, string> = {}, body = "", headers: Record<string, string> = {}): WireRequest {
  return { method, path, query, headers, body: Buffer.from(body) };
}

const iam = service("iam", "query", ["CreateRole", "ListRoles"], "https://iam.amazonaws.com/doc/2010-05-08/");
const sns = service("sns", "query", ["CreateTopic"]);
const ec2 = service("ec2", "ec2", ["AuthorizeSecurityGroupIngress", "DescribeSecurityGroups"], "http://ec2.amazonaws.com/doc/2016-11-15/");
const s3 = service("s3", "rest-xml", ["ListBuckets", "HeadBucket", "GetBucketEncryption", "PutBucketEncryption", "ListObjectsV2", "PutObject", "GetObject", "HeadObject", "DeleteObject", "PutBucketTagging"]);

describe("query decoding", () => {
  it("turns member lists, maps, numbers and empty lists into the SDK input shape", () => {
    const decoded = decodeQueryRequest(
      form("Action=CreateRole&Version=2010-05-08&RoleName=app&MaxSessionDuration=7200&AssumeRolePolicyDocument=%7B%7D&Tags.member.1.Key=a&Tags.member.1.Value=x%20y&Tags.member.2.Key=b&Tags.member.2.Value="),
      iam,
    );
    expect(decoded).toEqual({
      action: "CreateRole",
      params: { RoleName: "app", MaxSessionDuration: 7200, AssumeRolePolicyDocument: "{}", Tags: [{ Key: "a", Value: "x y" }, { Key: "b", Value: "" }] },
    });
    expect(decodeQueryRequest(form("Action=CreateRole&RoleName=r&Tags="), iam).params).toMatchObject({ Tags: [] });
    expect(decodeQueryRequest(form("Action=CreateTopic&Name=t&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=Ops"), sns).params).toEqual({
      Name: "t",
      Attributes: { DisplayName: "Ops" },
    });
  });

  it("reads EC2's flat lists and EC2 query names", () => {
    const decoded = decodeQueryRequest(
      form(
        "Action=AuthorizeSecurityGroupIngress&GroupId=sg-1&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22" +
          "&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%2F0&IpPermissions.1.IpRanges.2.CidrIp=10.0.0.0%2F8&IpPermissions.1.Groups.1.GroupId=sg-2",
      ),
      ec2,
    );
    expect(decoded.params).toEqual({
      GroupId: "sg-1",
      IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }, { CidrIp: "10.0.0.0/8" }], UserIdGroupPairs: [{ GroupId: "sg-2" }] }],
    });
    const describe = decodeQueryRequest(form("Action=DescribeSecurityGroups&GroupId.1=sg-1&GroupId.2=sg-2&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1&DryRun=false"), ec2);
    expect(describe.params).toEqual({ GroupIds: ["sg-1", "sg-2"], Filters: [{ Name: "vpc-id", Values: ["vpc-1"] }], DryRun: false });
  });

  it("requires an Action", () => {
    expect(() => decodeQueryRequest(form("Version=1"), iam)).toThrow(AwsError);
  });
});

describe("query and EC2 responses", () => {
  it("wraps query results in <Action>Result with member lists and ISO dates", () => {
    const out = queryCodec.encode(iam, "ListRoles", { Roles: [{ RoleName: "a&b", CreateDate: new Date(0), Tags: [{ Key: "k", Value: "v" }] }], IsTruncated: false }, "req-1");
    expect(out.status).toBe(200);
    expect(out.headers["x-amzn-requestid"]).toBe("req-1");
    expect(out.body).toContain('<ListRolesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListRolesResult><Roles><member>');
    expect(out.body).toContain("<RoleName>a&#38;b</RoleName><CreateDate>1970-01-01T00:00:00.000Z</CreateDate><Tags><member><Key>k</Key><Value>v</Value></member></Tags>");
    expect(out.body).toContain("<IsTruncated>false</IsTruncated></ListRolesResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></ListRolesResponse>");
  });

  it("renders EC2 results with requestId, lowerCamel names and item lists", () => {
    const out = ec2Codec.encode(ec2, "DescribeSecurityGroups", { SecurityGroups: [{ GroupId: "sg-1", IpPermissions: [{ IpProtocol: "tcp", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }] }, "r2");
    expect(out.body).toContain('<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r2</requestId><securityGroupInfo><item><groupId>sg-1</groupId>');
    expect(out.body).toContain("<ipPermissions><item><ipProtocol>tcp</ipProtocol><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item></ipPermissions>");
  });

  it("uses each protocol's error envelope", () => {
    const query = queryCodec.encodeError(iam, new AwsError("NoSuchEntity", "no <role>", 404), "r3", form(""));
    expect(query.status).toBe(404);
    expect(query.body).toContain("<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>no &#60;role&#62;</Message></Error><RequestId>r3</RequestId></ErrorResponse>");
    const ec2Error = ec2Codec.encodeError(ec2, new AwsError("RequestLimitExceeded", "slow", 503, false), "r4", form(""));
    expect(ec2Error.body).toContain("<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow</Message></Error></Errors><RequestID>r4</RequestID></Response>");
    const json = jsonCodec.encodeError(service("organizations", "json", []), new AwsError("AccessDeniedException", "no"), "r5", form(""));
    expect(JSON.parse(json.body as string)).toEqual({ __type: "AccessDeniedException", message: "no" });
    const s3Error = restXmlCodec.encodeError(s3, new AwsError("NoSuchKey", "gone", 404), "r6", rest("GET", "/b/k"));
    expect(s3Error.body).toContain("<Error><Code>NoSuchKey</Code><Message>gone</Message><RequestId>r6</RequestId>");
    expect(s3Error.headers["x-amz-request-id"]).toBe("r6");
    expect(restXmlCodec.encodeError(s3, new AwsError("NoSuchKey", "gone", 404), "r7", rest("HEAD", "/b/k")).body).toBe("");
  });
});

describe("JSON 1.1", () => {
  it("reads the action from X-Amz-Target and writes dates as epoch seconds", () => {
    const req: WireRequest = { method: "POST", path: "/", query: {}, headers: { "x-amz-target": "AWSOrganizationsV20161128.ListAccounts" }, body: Buffer.from('{"MaxResults":5}') };
    expect(jsonCodec.decode(req, service("organizations", "json", []))).toEqual({ action: "ListAccounts", params: { MaxResults: 5 } });
    const out = jsonCodec.encode(service("organizations", "json", []), "ListAccounts", { Accounts: [{ JoinedTimestamp: new Date(1500) }] }, "r");
    expect(JSON.parse(out.body as string)).toEqual({ Accounts: [{ JoinedTimestamp: 1.5 }] });
    expect(() => jsonCodec.decode({ ...req, body: Buffer.from("{") }, service("organizations", "json", []))).toThrow(AwsError);
  });
});

describe("REST-XML (S3, path style)", () => {
  it("routes by method, key presence and the most specific query binding", () => {
    const route = (req: WireRequest) => restXmlCodec.decode(req, s3).action;
    expect(route(rest("GET", "/"))).toBe("ListBuckets");
    expect(route(rest("HEAD", "/bucket"))).toBe("HeadBucket");
    expect(route(rest("GET", "/bucket", { encryption: "" }))).toBe("GetBucketEncryption");
    expect(route(rest("GET", "/bucket", { "list-type": "2", prefix: "a/" }))).toBe("ListObjectsV2");
    expect(route(rest("PUT", "/bucket/a/b.json", { "x-id": "PutObject" }))).toBe("PutObject");
    expect(route(rest("GET", "/bucket/a/b.json"))).toBe("GetObject");
    // Operations the sandbox lacks are still recognised, so the dispatcher can refuse them by name.
    expect(route(rest("GET", "/bucket", { acl: "" }))).toBe("GetBucketAcl");
  });

  it("binds labels, query, headers and XML payloads into the SDK input", () => {
    expect(restXmlCodec.decode(rest("GET", "/my-bucket", { "list-type": "2", prefix: "reports/", "max-keys": "10" }), s3).params).toEqual({
      Bucket: "my-bucket",
      Prefix: "reports/",
      MaxKeys: 10,
    });
    const put = restXmlCodec.decode(rest("PUT", "/b/dir/a%20b%2Bc.txt", { "x-id": "PutObject" }, "data", { "content-type": "text/plain", "x-amz-meta-owner": "me" }), s3).params as Record<string, unknown>;
    expect(put).toMatchObject({ Bucket: "b", Key: "dir/a b+c.txt", ContentType: "text/plain", Metadata: { owner: "me" } });
    expect((put.Body as Buffer).toString()).toBe("data");
    const xml =
      '<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm>' +
      "<KMSMasterKeyID>k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>";
    expect(restXmlCodec.decode(rest("PUT", "/b", { encryption: "" }, xml), s3).params).toEqual({
      Bucket: "b",
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "k" }, BucketKeyEnabled: true }] },
    });
    expect(() => restXmlCodec.decode(rest("PUT", "/b", { tagging: "" }, "<Tagging><TagSet>"), s3)).toThrow(/not well-formed/);
  });

  it("writes headers, payloads and the operation's success status", () => {
    const get = restXmlCodec.encode(s3, "GetObject", { Body: Buffer.from("hi"), ContentType: "text/plain", LastModified: new Date(0), ETag: '"e"' }, "r");
    expect(get.body).toEqual(Buffer.from("hi"));
    expect(get.headers).toMatchObject({ "content-type": "text/plain", "last-modified": "Thu, 01 Jan 1970 00:00:00 GMT", etag: '"e"', "x-amz-request-id": "r" });
    const enc = restXmlCodec.encode(s3, "GetBucketEncryption", { ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] } }, "r");
    expect(enc.body).toBe(
      '<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>',
    );
    const list = restXmlCodec.encode(s3, "ListObjectsV2", { Name: "b", Contents: [{ Key: "a" }, { Key: "b" }], KeyCount: 2 }, "r");
    expect(list.body).toContain('<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Contents><Key>a</Key></Contents><Contents><Key>b</Key></Contents><Name>b</Name>');
    expect(restXmlCodec.encode(s3, "DeleteObject", {}, "r").status).toBe(204);
  });
});
