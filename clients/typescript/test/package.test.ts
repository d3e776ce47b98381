/** The npm package describes the same release as the Python distribution. */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

/** clients/typescript: this file runs from build/test/. */
const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const ROOT = resolve(PACKAGE, "..", "..");

it("package.json's version is the Python distribution's version", () => {
  const manifest = JSON.parse(readFileSync(join(PACKAGE, "package.json"), "utf8")) as { version: string };
  const python = readFileSync(join(ROOT, "overlays", "cakework", "_version.py"), "utf8");
  const match = /^__version__ = "([^"]+)"$/m.exec(python);
  assert.ok(match, "overlays/cakework/_version.py has no __version__");
  assert.equal(manifest.version, match[1]);
});
