import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../functions/config/problems.js";
import { DriftguardError, errorText, isErrorCode, toErrorInfo } from "../../../functions/core/errors.js";
import { DeadlineReachedError } from "../../../functions/scanner/detect.js";

describe("DriftguardError", () => {
  it("carries its code as the name, so report rows and isErrorCode read it like an SDK error's", () => {
    const err = new DriftguardError("GuardStateUnreadable", "s3://b/state/flapping.json could not be read; fix or delete it");
    expect(err).toBeInstanceOf(Error);
    expect(toErrorInfo(err)).toEqual({ code: "GuardStateUnreadable", message: "s3://b/state/flapping.json could not be read; fix or delete it" });
    expect(isErrorCode(err, "GuardStateUnreadable")).toBe(true);
    expect(errorText(err)).toBe("GuardStateUnreadable: s3://b/state/flapping.json could not be read; fix or delete it");
  });

  it("is the base of driftguard's own error classes", () => {
    const config = new ConfigError([{ file: "accounts.yaml", path: "accounts[0].id", line: 3, message: "must be 12 digits" }]);
    expect(config).toBeInstanceOf(DriftguardError);
    expect(toErrorInfo(config).code).toBe("ConfigError");
    expect(toErrorInfo(new DeadlineReachedError("stopped waiting")).code).toBe("DeadlineReached");
  });

  it("keeps the SDK convention for other errors: the AWS error code is the name", () => {
    const sdk = Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
    expect(toErrorInfo(sdk)).toEqual({ code: "Throttling", message: "Rate exceeded" });
    expect(toErrorInfo("boom")).toEqual({ code: "Error", message: "boom" });
  });
});
