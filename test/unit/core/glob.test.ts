import { describe, expect, it } from "vitest";
import { firstMatchingGlob, globToRegExp, matchesGlob } from "../../../functions/core/glob.js";

describe("glob", () => {
  it("matches * as any run and ? as one character, anchored at both ends", () => {
    expect(matchesGlob("payments-api", "payments-*")).toBe(true);
    expect(matchesGlob("payments-", "payments-*")).toBe(true);
    expect(matchesGlob("old-payments-api", "payments-*")).toBe(false);
    expect(matchesGlob("core-1", "core-?")).toBe(true);
    expect(matchesGlob("core-12", "core-?")).toBe(false);
    expect(matchesGlob("anything", "*")).toBe(true);
  });

  it("treats regex metacharacters literally", () => {
    expect(matchesGlob("a.b", "a.b")).toBe(true);
    expect(matchesGlob("axb", "a.b")).toBe(false);
    expect(matchesGlob("stack(1)+[x]", "stack(1)+[x]")).toBe(true);
    expect(globToRegExp("a|b").test("a")).toBe(false);
  });

  it("names the first glob that matched", () => {
    expect(firstMatchingGlob("sandbox-alice", ["prod-*", "sandbox-*", "*"])).toBe("sandbox-*");
    expect(firstMatchingGlob("prod", ["sandbox-*"])).toBeUndefined();
  });
});
