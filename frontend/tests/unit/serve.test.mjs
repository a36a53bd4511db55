// @vitest-environment node
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileFor } from "../../scripts/serve.mjs";

describe("the local site server's paths", () => {
  const base = mkdtempSync(join(tmpdir(), "serve-"));
  const root = join(base, "dist");
  mkdirSync(root);
  mkdirSync(join(base, "dist-private"));
  writeFileSync(join(base, "dist-private", "secret.txt"), "not for the site");

  it("serves files under the root", () => {
    expect(fileFor(root, "/")).toBe(`${root}/`);
    expect(fileFor(root, "/assets/app.js")).toBe(join(root, "assets", "app.js"));
    expect(fileFor(root, "/rooms/01ABC?x=1")).toBe(join(root, "rooms", "01ABC"));
  });

  it("refuses a malformed percent-encoding instead of dying", () => {
    expect(fileFor(root, "/%E0%A4%A")).toBeNull();
    expect(fileFor(root, "/%")).toBeNull();
  });

  it("refuses paths that leave the root, a sibling folder with a like name included", () => {
    expect(fileFor(root, "/..%2Fdist-private/secret.txt")).toBeNull();
    expect(fileFor(root, "/../dist-private/secret.txt")).toBe(join(root, "dist-private", "secret.txt"));
    expect(fileFor(root, "/..%2F..%2Fetc%2Fpasswd")).toBeNull();
    expect(fileFor(root, "/a%00b")).toBeNull();
  });
});
