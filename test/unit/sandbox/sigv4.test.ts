import { DescribeVpcsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { ListAccountsCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { HttpRequest } from "@smithy/core/protocols";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WireRequest } from "../../../sandbox/emulator/protocol/codec.js";
import { declaredPayloadHashMismatch } from "../../../sandbox/emulator/protocol/payload-checks.js";
import { NodeSha256, parseAuthorization, signatureMatches } from "../../../sandbox/emulator/protocol/sigv4.js";
import type { Sandbox } from "../../../sandbox/harness/server.js";
import { clientConfig, failure, HUB, startTestSandbox, WORKLOAD } from "../../support/sandbox.js";

const CREDS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };

async function signed(service: string, req: { method: string; path: string; query?: Record<string, string>; headers: Record<string, string>; body: string }): Promise<WireRequest> {
  // As the SDK clients do: only S3 declares its payload hash in a header.
  const signer = new SignatureV4({ credentials: CREDS, region: "eu-west-1", service, sha256: NodeSha256, uriEscapePath: service !== "s3", applyChecksum: service === "s3" });
  const out = await signer.sign(new HttpRequest({ protocol: "http:", hostname: "127.0.0.1", ...req, query: req.query ?? {} }));
  const headers = Object.fromEntries(Object.entries(out.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: req.method, path: req.path, query: req.query ?? {}, headers, body: Buffer.from(req.body) };
}

describe("SigV4 verification", () => {
  it("parses the credential scope that routes the request", async () => {
    const req = await signed("sts", { method: "POST", path: "/", headers: { host: "127.0.0.1:1", "content-type": "application/x-www-form-urlencoded" }, body: "Action=GetCallerIdentity" });
    expect(parseAuthorization(req.headers.authorization)).toMatchObject({ accessKeyId: "AKIDEXAMPLE", region: "eu-west-1", service: "sts", signedHeaders: ["content-type", "host", "x-amz-date"] });
    expect(parseAuthorization("Basic abc")).toBeUndefined();
  });

  it("accepts the SDK signer's signature and rejects any change to what was signed", async () => {
    const req = await signed("sts", { method: "POST", path: "/", headers: { host: "127.0.0.1:1", "content-type": "application/x-www-form-urlencoded" }, body: "Action=GetCallerIdentity" });
    const auth = parseAuthorization(req.headers.authorization)!;
    expect(await signatureMatches(req, auth, CREDS.secretAccessKey)).toBe(true);
    expect(await signatureMatches(req, auth, "other-secret")).toBe(false);
    expect(await signatureMatches({ ...req, body: Buffer.from("Action=AssumeRole") }, auth, CREDS.secretAccessKey)).toBe(false);
    expect(await signatureMatches({ ...req, headers: { ...req.headers, host: "evil:1" } }, auth, CREDS.secretAccessKey)).toBe(false);
    expect(await signatureMatches({ ...req, headers: { ...req.headers, "user-agent": "unsigned headers may change" } }, auth, CREDS.secretAccessKey)).toBe(true);
  });

  it("verifies S3 requests over the escaped path, query and declared payload hash", async () => {
    const req = await signed("s3", {
      method: "GET",
      path: "/bucket/dir/a%20b.txt",
      query: { "x-id": "GetObject", "response-content-type": "text/plain" },
      headers: { host: "127.0.0.1:1", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
      body: "",
    });
    const auth = parseAuthorization(req.headers.authorization)!;
    expect(await signatureMatches(req, auth, CREDS.secretAccessKey)).toBe(true);
    expect(await signatureMatches({ ...req, path: "/bucket/dir/a%20c.txt" }, auth, CREDS.secretAccessKey)).toBe(false);
    expect(await signatureMatches({ ...req, query: { ...req.query, "x-id": "DeleteObject" } }, auth, CREDS.secretAccessKey)).toBe(false);
  });

  it("holds a body to the payload hash its signature declares", async () => {
    const req = await signed("s3", { method: "PUT", path: "/bucket/k", headers: { host: "127.0.0.1:1" }, body: "original" });
    expect(req.headers["x-amz-content-sha256"]).toMatch(/^[0-9a-f]{64}$/);
    expect(declaredPayloadHashMismatch(req)).toBe(false);
    expect(declaredPayloadHashMismatch({ ...req, body: Buffer.from("tampered") })).toBe(true);
    expect(declaredPayloadHashMismatch({ ...req, headers: { ...req.headers, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: Buffer.from("any") })).toBe(false);
  });
});

describe("authentication errors, per protocol", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(() => sandbox.close());

  const unknown = { accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "x" };

  it("answers with each service's own codes for unknown keys and bad signatures", async () => {
    const wrongSecret = { ...sandbox.adminCredentials(WORKLOAD), secretAccessKey: "wrong" };
    const cases: [string, (c: typeof unknown) => Promise<unknown>, string, string][] = [
      ["sts", (c) => new STSClient(clientConfig(sandbox, c)).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", "SignatureDoesNotMatch"],
      ["ec2", (c) => new EC2Client(clientConfig(sandbox, c)).send(new DescribeVpcsCommand({})), "AuthFailure", "AuthFailure"],
      ["organizations", (c) => new OrganizationsClient(clientConfig(sandbox, c)).send(new ListAccountsCommand({})), "UnrecognizedClientException", "InvalidSignatureException"],
      ["s3", (c) => new S3Client(clientConfig(sandbox, c)).send(new ListBucketsCommand({})), "InvalidAccessKeyId", "SignatureDoesNotMatch"],
    ];
    for (const [, call, unknownCode, signatureCode] of cases) {
      expect((await failure(call(unknown))).name).toBe(unknownCode);
      expect((await failure(call(wrongSecret))).name).toBe(signatureCode);
    }
  });

  it("refuses a session token that does not belong to the key", async () => {
    const creds = { ...sandbox.hubCredentials, sessionToken: "forged" };
    expect((await failure(new STSClient(clientConfig(sandbox, creds)).send(new GetCallerIdentityCommand({})))).name).toBe("InvalidClientTokenId");
    const ok = await new STSClient(clientConfig(sandbox, sandbox.hubCredentials)).send(new GetCallerIdentityCommand({}));
    expect(ok.Account).toBe(HUB);
  });

  it("refuses unsigned requests with MissingAuthenticationToken and always sends a request id", async () => {
    const res = await fetch(`${sandbox.endpoint}/`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "Action=GetCallerIdentity" });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("<Code>MissingAuthenticationToken</Code>");
    expect(res.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
