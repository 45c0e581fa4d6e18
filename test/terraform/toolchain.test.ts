import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../support/temp.js";
import { findProviderMirror, findTerraform, MIRROR_ENV, platform as terraformPlatform, providerRequirement } from "../../sandbox/harness/terraform.js";

const req = providerRequirement();
const platform = terraformPlatform();

describe("terraform toolchain discovery", () => {
  it("requires the provider version the pinned @cdktf/provider-aws was generated from", () => {
    expect(req).toEqual({ address: "registry.terraform.io/hashicorp/aws", version: "5.100.0" });
  });

  it("accepts a mirror in unpacked or packed layout", () => {
    const unpacked = tempDir("driftguard-mirror-");
    mkdirSync(join(unpacked, req.address, req.version, platform), { recursive: true });
    expect(findProviderMirror(req, { [MIRROR_ENV]: unpacked })).toBe(unpacked);

    const packed = tempDir("driftguard-mirror-");
    mkdirSync(join(packed, req.address), { recursive: true });
    writeFileSync(join(packed, req.address, `terraform-provider-aws_${req.version}_${platform}.zip`), "");
    expect(findProviderMirror(req, { [MIRROR_ENV]: packed })).toBe(packed);
  });

  it("fails with how to provide the provider when the mirror lacks it", () => {
    const empty = tempDir("driftguard-mirror-");
    expect(() => findProviderMirror(req, { [MIRROR_ENV]: empty })).toThrow(
      new RegExp(`${MIRROR_ENV}=${empty} does not contain the provider[\\s\\S]*terraform providers mirror[\\s\\S]*export ${MIRROR_ENV}=<dir>`),
    );
  });

  it("fails with how to install terraform when it cannot run it", () => {
    expect(() => findTerraform({ ...process.env, DRIFTGUARD_TERRAFORM: "/nonexistent/terraform" })).toThrow(
      /terraform CLI not runnable as "\/nonexistent\/terraform"[\s\S]*Install Terraform/,
    );
  });
});
