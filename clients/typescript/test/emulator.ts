/**
 * Start and stop the Cakework emulator (`python -m cakework.testing`) from a Node test,
 * and drive it through its control routes, typed from emulator.yaml.
 *
 * This is what any non-Python suite does: run the one command with `--port 0`, read the
 * URL and keys it prints, use `<url>/v1` for the API and `<url>/_emulator/...` for control.
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import createClient, { type Client } from "openapi-fetch";
import type { paths as EmulatorPaths } from "../src/generated/emulator.js";

/** The repository root: this file runs from clients/typescript/build/test/. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

/** The interpreter that has the `emulator` extra: `$CAKEWORK_PYTHON`, else the repo's .venv. */
function python(): string {
  const chosen = process.env["CAKEWORK_PYTHON"];
  if (chosen) {
    return chosen;
  }
  const venv = join(ROOT, ".venv", "bin", "python");
  if (!existsSync(venv)) {
    throw new Error(`${venv} not found: run \`make venv\` at the repository root, or set CAKEWORK_PYTHON`);
  }
  return venv;
}

export interface RunningEmulator {
  /** The API base URL, ending in `/v1`. */
  baseUrl: string;
  /** The emulator's API keys, one tenant each, in the order given. */
  apiKeys: string[];
  /** A typed client of the control routes (`/_emulator/...`). */
  control: Client<EmulatorPaths, "application/json">;
  /** Stop the emulator (SIGTERM) and resolve with its exit code. */
  stop(): Promise<number | null>;
}

const LISTENING = "Cakework emulator listening on ";
const KEYS = "API keys: ";

/**
 * Start an emulator on a free port and resolve once it has printed its URL and keys.
 *
 * @param args extra arguments for `python -m cakework.testing` (`--manual-clock`, `--api-key K`).
 */
export async function startEmulator(args: string[] = []): Promise<RunningEmulator> {
  const child = spawn(python(), ["-m", "cakework.testing", "--port", "0", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Should the test process end without its `after` hook (a crash), take the emulator along.
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);
  const exited = new Promise<number | null>((resolveExit) => {
    child.once("exit", (code) => {
      process.removeListener("exit", killOnExit);
      resolveExit(code);
    });
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout });
  let baseUrl: string | undefined;
  let apiKeys: string[] | undefined;
  for await (const line of lines) {
    if (line.startsWith(LISTENING)) {
      baseUrl = line.slice(LISTENING.length).trim();
    } else if (line.startsWith(KEYS)) {
      apiKeys = line.slice(KEYS.length).trim().split(", ");
      break;
    }
  }
  if (baseUrl === undefined || apiKeys === undefined) {
    const code = await exited;
    throw new Error(`the emulator exited (${code}) before announcing itself:\n${stderr}`);
  }
  // Keep reading stdout, so the emulator never blocks on a full pipe ("Stopping." etc.).
  child.stdout.resume();
  const origin = baseUrl.replace(/\/v1$/, "");
  return {
    baseUrl,
    apiKeys,
    control: createClient<EmulatorPaths, "application/json">({ baseUrl: origin }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
      }
      return exited;
    },
  };
}
