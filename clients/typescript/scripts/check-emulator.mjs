// Before the tests: is the Python emulator they start there? If not, say so in one line
// (otherwise every test is "cancelled" and the cause is buried in a hook's error).
//
//   node scripts/check-emulator.mjs   exit 0 when `python -m cakework.testing` can run
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const chosen = process.env["CAKEWORK_PYTHON"];
const python = chosen || join(ROOT, ".venv", "bin", "python");
const fix = chosen
  ? "set CAKEWORK_PYTHON to an interpreter with cakework-client[emulator] installed"
  : "run `make venv` at the repository root, or set CAKEWORK_PYTHON";

if (!existsSync(python)) {
  console.error(`the tests need the Python emulator, and ${python} does not exist: ${fix}`);
  process.exit(1);
}
const probe = spawnSync(python, ["-c", "import cakework.testing"], { encoding: "utf8" });
if (probe.status !== 0) {
  console.error(`the tests need the Python emulator, and ${python} cannot import cakework.testing: ${fix}`);
  process.exit(1);
}
