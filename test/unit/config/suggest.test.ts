import { describe, expect, it } from "vitest";
import { closest, didYouMean } from "../../../functions/config/suggest.js";

describe("closest", () => {
  it("finds the intended word for small typos, ignoring case", () => {
    expect(closest("regoins", ["regions", "mode", "stacks"])).toBe("regions");
    expect(closest("EU-WEST-1", ["us-east-1", "eu-west-1"])).toBe("eu-west-1");
  });

  it("suggests nothing when no candidate is close", () => {
    expect(closest("banana", ["regions", "mode"])).toBeUndefined();
    expect(closest(42, ["regions"])).toBeUndefined();
    expect(closest("", ["regions"])).toBeUndefined();
  });

  it("formats a ready-to-append hint, empty when the word is already right", () => {
    expect(didYouMean("mdoe", ["mode"])).toBe(" (did you mean `mode`?)");
    expect(didYouMean("mode", ["mode"])).toBe("");
  });
});
