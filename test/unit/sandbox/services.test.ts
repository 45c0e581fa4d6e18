import { describe, expect, it } from "vitest";
import { operationSchema } from "../../../sandbox/emulator/protocol/sdk-schemas.js";
import { SERVICES } from "../../../sandbox/emulator/services/index.js";

describe("service definitions", () => {
  it("implement only operations the SDK models, so the codecs can read and write them", () => {
    const unknown = SERVICES.flatMap((s) => Object.keys(s.actions).filter((a) => !operationSchema(s.name, a)).map((a) => `${s.name}:${a}`));
    expect(unknown).toEqual([]);
  });

  it("give every REST operation an HTTP binding and every XML service a namespace", () => {
    for (const s of SERVICES) {
      if (s.protocol === "rest-xml" || s.protocol === "rest-json") for (const a of Object.keys(s.actions)) expect(operationSchema(s.name, a)!.http, a).toBeDefined();
      if (s.protocol === "query" || s.protocol === "ec2") expect(s.xmlNamespace, s.name).toMatch(/^https?:\/\//);
    }
  });

  it("are unique by signing name", () => {
    const names = SERVICES.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
