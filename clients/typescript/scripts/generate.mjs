// Regenerate src/generated/ from the repository's OpenAPI files, or check that it is up to date.
//
//     node scripts/generate.mjs          # rewrite src/generated/
//     node scripts/generate.mjs --check  # regenerate into a temp dir and compare (drift check)
//
// The generator is the pinned openapi-typescript from this package's node_modules, run
// through its own CLI so the committed files are exactly what that CLI writes. Files are
// compared whole, and a file in src/generated/ that no spec produces is stale too.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = resolve(PACKAGE, "..", "..");
const TARGET = join(PACKAGE, "src", "generated");
const CLI = join(PACKAGE, "node_modules", "openapi-typescript", "bin", "cli.js");

/** Output file name -> the spec it is generated from. */
const SPECS = {
  "cakework.ts": join(ROOT, "openapi.yaml"),
  "emulator.ts": join(ROOT, "emulator.yaml"),
};

function generateInto(outDir) {
  for (const [name, spec] of Object.entries(SPECS)) {
    // cwd is the temp dir: openapi-typescript reads a redocly.yaml from its cwd, and the
    // repository's (a lint config) must not change what it generates.
    // --default-non-nullable false: a member with a default stays optional, as it is in a
    // request body (emulator.yaml's Fault: every option has a default the server applies).
    const args = [CLI, spec, "--default-non-nullable", "false", "--output", join(outDir, name)];
    const result = spawnSync(process.execPath, args, { cwd: outDir, encoding: "utf8" });
    if (result.status !== 0) {
      process.stderr.write(result.stdout + result.stderr);
      throw new Error(`openapi-typescript failed on ${relative(ROOT, spec)} (exit ${result.status})`);
    }
  }
}

function firstDifference(expected, actual) {
  const want = expected.split("\n");
  const got = actual.split("\n");
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    if (want[i] !== got[i]) {
      return `line ${i + 1}:\n  committed: ${JSON.stringify(got[i])}\n  fresh:     ${JSON.stringify(want[i])}`;
    }
  }
  return "";
}

function compare(fresh) {
  const problems = [];
  const committed = readdirSync(TARGET, { withFileTypes: true });
  for (const entry of committed) {
    if (!(entry.name in SPECS)) {
      problems.push(`stale file (no spec generates it): ${relative(ROOT, join(TARGET, entry.name))}`);
    }
  }
  for (const name of Object.keys(SPECS)) {
    const target = join(TARGET, name);
    const want = readFileSync(join(fresh, name), "utf8");
    let got;
    try {
      got = readFileSync(target, "utf8");
    } catch {
      problems.push(`missing: ${relative(ROOT, target)}`);
      continue;
    }
    if (got !== want) {
      problems.push(`differs: ${relative(ROOT, target)}, first difference at ${firstDifference(want, got)}`);
    }
  }
  return problems;
}

function main() {
  const check = process.argv.includes("--check");
  const fresh = mkdtempSync(join(tmpdir(), "cakework-ts-gen-"));
  try {
    generateInto(fresh);
    if (check) {
      let problems;
      try {
        problems = compare(fresh);
      } catch (error) {
        problems = [`cannot read ${relative(ROOT, TARGET)}: ${error.message}`];
      }
      if (problems.length > 0) {
        console.log("drift check FAILED: clients/typescript/src/generated/ does not match the specs.");
        console.log(problems.join("\n"));
        console.log("\nRun `make generate` and commit clients/typescript/src/generated/ (never edit it by hand).");
        return 1;
      }
      console.log("drift check: clients/typescript/src/generated matches openapi.yaml and emulator.yaml");
      return 0;
    }
    rmSync(TARGET, { recursive: true, force: true });
    mkdirSync(TARGET, { recursive: true });
    for (const name of Object.keys(SPECS)) {
      copyFileSync(join(fresh, name), join(TARGET, name));
      console.log(`generated ${relative(ROOT, join(TARGET, name))}`);
    }
    return 0;
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

process.exitCode = main();
