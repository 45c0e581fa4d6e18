import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { BareSandbox, SandboxCredentials } from "../../sandbox/harness/server.js";

/**
 * Drives the sandbox with boto3 (Debian's python3-boto3): an independent client stack, with its
 * own serializers, signer and error parsing, so a behaviour the JS SDK and the sandbox agree on
 * by accident still has to satisfy botocore. A script prints one JSON value with `out(...)`;
 * `err(lambda: ...)` returns the error a call fails with as {code, message, status}.
 */

const run = promisify(execFile);

const PRELUDE = `
import json, os, sys
import boto3, botocore
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["SANDBOX_ENDPOINT"]
INSECURE_ENDPOINT = os.environ["SANDBOX_INSECURE_ENDPOINT"]
session = boto3.session.Session(
    aws_access_key_id=os.environ["SANDBOX_KEY"],
    aws_secret_access_key=os.environ["SANDBOX_SECRET"],
    aws_session_token=os.environ.get("SANDBOX_TOKEN") or None,
    region_name=os.environ["SANDBOX_REGION"],
)

def client(name, endpoint=None, **config):
    return session.client(name, endpoint_url=endpoint or ENDPOINT, config=Config(retries={"max_attempts": 1}, **config))

def err(call):
    try:
        call()
    except ClientError as e:
        return {"code": e.response["Error"].get("Code"), "message": e.response["Error"].get("Message"), "status": e.response["ResponseMetadata"].get("HTTPStatusCode")}
    return None

def out(value):
    sys.stdout.write(json.dumps(value, default=str))
`;

export async function boto3(sandbox: Pick<BareSandbox, "endpoint" | "insecureEndpoint">, credentials: SandboxCredentials, script: string, region = "us-east-1"): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
  Object.assign(env, {
    SANDBOX_ENDPOINT: sandbox.endpoint,
    SANDBOX_INSECURE_ENDPOINT: sandbox.insecureEndpoint,
    SANDBOX_KEY: credentials.accessKeyId,
    SANDBOX_SECRET: credentials.secretAccessKey,
    SANDBOX_TOKEN: credentials.sessionToken ?? "",
    SANDBOX_REGION: region,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
  });
  try {
    const { stdout } = await run("python3", ["-c", `${PRELUDE}\n${script}`], { env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim() === "" ? undefined : JSON.parse(stdout);
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw new Error("python3 is not installed: apt-get install python3-boto3");
    throw new Error(`boto3 script failed: ${e.stderr ?? String(error)}`);
  }
}
