import { describe, expect, it } from "vitest";
import { decodeAwsChunked, unwrapAwsChunked } from "../../../sandbox/emulator/protocol/aws-chunked.js";

describe("aws-chunked", () => {
  it("decodes signed chunks", () => {
    const body = Buffer.from("5;chunk-signature=abc\r\nhello\r\n6;chunk-signature=def\r\n world\r\n0;chunk-signature=fin\r\n\r\n");
    expect(decodeAwsChunked(body)).toEqual({ payload: Buffer.from("hello world"), trailers: {} });
  });

  it("collects trailing checksum headers and folds them into the request", () => {
    const body = Buffer.from("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n");
    const req = unwrapAwsChunked({
      method: "PUT",
      path: "/b/k",
      query: {},
      headers: { "content-encoding": "aws-chunked,gzip", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER" },
      body,
    });
    expect(req.body.toString()).toBe("abc");
    expect(req.headers).toMatchObject({ "content-encoding": "gzip", "x-amz-checksum-crc32": "NSRBwg==" });
  });

  it("leaves ordinary bodies alone and refuses truncated ones", () => {
    const plain = { method: "PUT", path: "/b/k", query: {}, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: Buffer.from("3\r\nabc") };
    expect(unwrapAwsChunked(plain)).toBe(plain);
    expect(() => decodeAwsChunked(Buffer.from("3\r\nabc\r\n"))).toThrow(/ends inside/);
  });
});
