/**
 * The TypeScript client against a real emulator: every operation of openapi.yaml, typed
 * errors, and the control routes of emulator.yaml (clock, faults, counters, resources, state).
 *
 * One emulator for the file, with a manual clock: time moves only when a test advances it
 * through `/_emulator/clock/advance`, so builds and boots finish exactly when told.
 */

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  CakeworkApiError,
  createCakeworkClient,
  unwrap,
  type CakeworkClient,
  type ErrorBody,
  type operations,
} from "../src/index.js";
import { startEmulator, type RunningEmulator } from "./emulator.js";

/** Every operationId of openapi.yaml; the type below fails to compile if one is missing. */
const OPERATIONS = [
  "importImage",
  "buildImageFromFiles",
  "buildImageFromGithub",
  "getBuild",
  "getBuildLogs",
  "startVM",
  "getVM",
  "stopVM",
  "getVMLogs",
  "listVMs",
  "cacheVM",
  "startCachedVM",
  "stopCachedVM",
  "destroyCachedVM",
  "getCachedVMLogs",
] as const satisfies readonly (keyof operations)[];
type Unlisted = Exclude<keyof operations, (typeof OPERATIONS)[number]>;
const everyOperationListed: [Unlisted] extends [never] ? true : Unlisted = true;

const ECR_URI = "123456789012.dkr.ecr.us-west-2.amazonaws.com/my-app:latest";
const DOCKERFILE = 'FROM python:3.11-slim\nCOPY app.py /app/app.py\nCMD ["python", "/app/app.py"]\n';

let emulator: RunningEmulator;
let cakework: CakeworkClient;

before(async () => {
  emulator = await startEmulator(["--manual-clock", "--api-key", "ts-key-a", "--api-key", "ts-key-b"]);
  const [apiKey] = emulator.apiKeys;
  assert.equal(apiKey, "ts-key-a");
  cakework = createCakeworkClient({ apiKey, baseUrl: emulator.baseUrl });
});

after(async () => {
  // SIGTERM is the emulator's orderly stop: it exits 0.
  assert.equal(await emulator.stop(), 0);
});

async function advance(seconds: number): Promise<number> {
  return unwrap(await emulator.control.POST("/_emulator/clock/advance", { body: { seconds } })).now;
}

async function importImage(): Promise<string> {
  const image = unwrap(await cakework.POST("/image/import", { body: { imageUri: ECR_URI, password: "pw" } }));
  return image.imageId;
}

/** Run `call` and return the CakeworkApiError it throws. */
async function refusal(call: () => Promise<unknown>): Promise<CakeworkApiError> {
  try {
    await call();
  } catch (error) {
    assert.ok(error instanceof CakeworkApiError, `expected a CakeworkApiError, got ${String(error)}`);
    return error;
  }
  assert.fail("the call succeeded");
}

describe("every operation of openapi.yaml", { concurrency: false }, () => {
  before(async () => {
    unwrap(await emulator.control.POST("/_emulator/reset"));
  });

  let builtImageId: string;

  it("builds an image from files, reads its status and logs", async () => {
    const build = unwrap(
      await cakework.POST("/image/build/files", {
        body: { dockerfile: DOCKERFILE, files: [{ dir: ".", name: "app.py", content: "print('hi')" }] },
      }),
    );
    assert.equal(build.status, "created");
    await advance(60);
    const done = unwrap(
      await cakework.GET("/image/build/{buildId}", { params: { path: { buildId: build.buildId } } }),
    );
    assert.equal(done.status, "succeeded");
    assert.ok(done.imageId);
    builtImageId = done.imageId;
    const logs = unwrap(
      await cakework.GET("/image/build/{buildId}/logs", {
        params: { path: { buildId: build.buildId }, query: { order: "oldest_first", batch: 50 } },
      }),
    );
    assert.ok(logs.lines.some((line) => line.message.includes("COPY app.py")), JSON.stringify(logs.lines));
  });

  it("builds from a GitHub repository registered through the control route", async () => {
    unwrap(
      await emulator.control.POST("/_emulator/github", {
        body: { repository: "ts-org/app", branch: "main", token: "gh-token", files: { "app.py": "print(1)" } },
      }),
    );
    const build = unwrap(
      await cakework.POST("/image/build/github", {
        body: { dockerfile: DOCKERFILE, repository: "ts-org/app", branch: "main", token: "gh-token" },
      }),
    );
    await advance(60);
    const done = unwrap(
      await cakework.GET("/image/build/{buildId}", { params: { path: { buildId: build.buildId } } }),
    );
    assert.equal(done.status, "succeeded");
  });

  it("starts, reads, lists, reads the logs of and stops a one-time VM", async () => {
    const imageId = await importImage();
    const started = unwrap(
      await cakework.POST("/vm/start", { body: { imageId, cpu: 2, memory: 512, envVars: { MODE: "test" } } }),
    );
    assert.equal(started.state, "created");
    await advance(30);
    const vm = unwrap(await cakework.GET("/vm/{vmId}", { params: { path: { vmId: started.id } } }));
    assert.equal(vm.state, "started");
    assert.equal(vm.cpu, 2);
    const listed = unwrap(await cakework.GET("/vms", { params: { query: { imageId, status: "started" } } }));
    assert.deepEqual(
      listed.vms.map((each) => each.id),
      [started.id],
    );
    const logs = unwrap(await cakework.GET("/vm/{vmId}/logs", { params: { path: { vmId: started.id } } }));
    assert.ok(logs.lines.length > 0);
    const stopped = unwrap(await cakework.POST("/vm/{vmId}/stop", { params: { path: { vmId: started.id } } }));
    assert.equal(stopped, undefined); // 204
    const after = unwrap(await cakework.GET("/vm/{vmId}", { params: { path: { vmId: started.id } } }));
    assert.equal(after.state, "stopped");
  });

  it("creates, starts, stops, reads the logs of and destroys a cached VM", async () => {
    const cached = unwrap(await cakework.POST("/vm/cache", { body: { imageId: builtImageId, diskSize: 2 } }));
    const path = { cachedVmId: cached.id };
    unwrap(await cakework.POST("/vm/cached/{cachedVmId}/start", { params: { path } }));
    await advance(30);
    unwrap(await cakework.POST("/vm/cached/{cachedVmId}/stop", { params: { path } }));
    const logs = unwrap(await cakework.GET("/vm/cached/{cachedVmId}/logs", { params: { path } }));
    assert.ok(logs.lines.length > 0);
    unwrap(await cakework.POST("/vm/cached/{cachedVmId}/destroy", { params: { path } }));
    const gone = unwrap(await cakework.GET("/vm/{vmId}", { params: { path: { vmId: cached.id } } }));
    assert.equal(gone.state, "destroyed");
  });

  it("called each of the 15 operations, as the emulator counted them", async () => {
    assert.equal(everyOperationListed, true);
    const counters = unwrap(await emulator.control.GET("/_emulator/counters"));
    assert.deepEqual(Object.keys(counters.requests).sort(), [...OPERATIONS].sort());
    const resources = unwrap(
      await emulator.control.GET("/_emulator/resources", { headers: { "X-Api-Key": "ts-key-a" } }),
    );
    assert.equal(resources.running_vms, 0);
    assert.equal(resources.live_cached_vms, 0);
  });
});

describe("the state export of emulator.yaml", { concurrency: false }, () => {
  it("takes a world out with GET /_emulator/state and puts it back with PUT", async () => {
    unwrap(await emulator.control.POST("/_emulator/reset"));
    const imageId = await importImage();
    const started = unwrap(await cakework.POST("/vm/start", { body: { imageId, port: 8080 } }));
    await advance(30);
    const saved = unwrap(await emulator.control.GET("/_emulator/state"));
    assert.equal(saved.format, "cakework-emulator-state");
    assert.equal(saved.version, 1);
    // Tenants are named by a hash of their key: the document never holds a key.
    assert.ok(!JSON.stringify(saved).includes("ts-key-a"));

    unwrap(await emulator.control.POST("/_emulator/reset"));
    const lost = await refusal(async () =>
      unwrap(await cakework.GET("/vm/{vmId}", { params: { path: { vmId: started.id } } })),
    );
    assert.equal(lost.status, 404);

    unwrap(await emulator.control.PUT("/_emulator/state", { body: saved }));
    const back = unwrap(await cakework.GET("/vm/{vmId}", { params: { path: { vmId: started.id } } }));
    assert.equal(back.state, "started");
    assert.equal(back.port, 8080);
    assert.deepEqual(unwrap(await emulator.control.GET("/_emulator/state")), saved);
  });
});

describe("errors", { concurrency: false }, () => {
  beforeEach(async () => {
    unwrap(await emulator.control.POST("/_emulator/reset"));
  });

  it("a 404 is a CakeworkApiError with the typed error body", async () => {
    const error = await refusal(async () =>
      unwrap(await cakework.GET("/vm/{vmId}", { params: { path: { vmId: "no-such-vm" } } })),
    );
    assert.equal(error.status, 404);
    const body: ErrorBody | undefined = error.body;
    assert.equal(body?.error, "VM no-such-vm does not exist");
    assert.equal(error.message, "HTTP 404: VM no-such-vm does not exist");
  });

  it("openapi-fetch's own result carries the same typed body", async () => {
    const result = await cakework.GET("/vm/{vmId}", { params: { path: { vmId: "no-such-vm" } } });
    assert.equal(result.data, undefined);
    const body: ErrorBody | undefined = result.error;
    assert.equal(body?.error, "VM no-such-vm does not exist");
  });

  it("an unknown key is a 401", async () => {
    const stranger = createCakeworkClient({ apiKey: "not-a-key", baseUrl: emulator.baseUrl });
    const error = await refusal(async () => unwrap(await stranger.GET("/vms")));
    assert.equal(error.status, 401);
    assert.match(error.body?.error ?? "", /X-Api-Key/);
  });

  it("a request the spec refuses is a 400 with the reason", async () => {
    const imageId = await importImage();
    const error = await refusal(async () => unwrap(await cakework.POST("/vm/start", { body: { imageId, cpu: 9 } })));
    assert.equal(error.status, 400);
    assert.match(error.body?.error ?? "", /cpu/);
  });

  it("a 503 injected through the control route reaches the caller (the client does not retry)", async () => {
    const imageId = await importImage();
    const vm = unwrap(await cakework.POST("/vm/start", { body: { imageId } }));
    unwrap(
      await emulator.control.POST("/_emulator/faults", {
        body: { operation: "getVM", kind: "error", status: 503, retry_after: "7", times: 1 },
      }),
    );
    const error = await refusal(async () =>
      unwrap(await cakework.GET("/vm/{vmId}", { params: { path: { vmId: vm.id } } })),
    );
    assert.equal(error.status, 503);
    assert.equal(error.body?.error, "Service Unavailable (injected fault)");
    assert.equal(error.response.headers.get("Retry-After"), "7");
    // The fault fired once: the next call succeeds, and the emulator counted both.
    assert.equal(unwrap(await cakework.GET("/vm/{vmId}", { params: { path: { vmId: vm.id } } })).id, vm.id);
    const counters = unwrap(await emulator.control.GET("/_emulator/counters"));
    assert.equal(counters.requests["getVM"], 2);
  });

  it("an error that is not the documented JSON leaves body undefined and keeps the raw body", async () => {
    unwrap(
      await emulator.control.POST("/_emulator/faults", { body: { operation: "listVMs", status: 502, body: "html" } }),
    );
    const html = await refusal(async () => unwrap(await cakework.GET("/vms")));
    assert.equal(html.status, 502);
    assert.equal(html.body, undefined);
    assert.match(String(html.rawBody), /<h1>502 Bad Gateway<\/h1>/);
    unwrap(
      await emulator.control.POST("/_emulator/faults", { body: { operation: "listVMs", status: 500, body: "empty" } }),
    );
    const empty = await refusal(async () => unwrap(await cakework.GET("/vms")));
    assert.equal(empty.status, 500);
    assert.equal(empty.body, undefined);
    assert.equal(empty.message, "HTTP 500: Internal Server Error");
  });

  it("a dropped connection and a 2xx body that is not JSON reject as documented, not as API errors", async () => {
    unwrap(await emulator.control.POST("/_emulator/faults", { body: { operation: "listVMs", kind: "drop_before" } }));
    await assert.rejects(cakework.GET("/vms"), TypeError); // fetch failed
    unwrap(await emulator.control.POST("/_emulator/faults", { body: { operation: "listVMs", kind: "bad_json" } }));
    await assert.rejects(cakework.GET("/vms"), SyntaxError);
    assert.deepEqual(unwrap(await cakework.GET("/vms")), { vms: [] });
  });

  it("the control routes refuse a bad fault with their own typed error body", async () => {
    const result = await emulator.control.POST("/_emulator/faults", {
      body: { operation: "getVM", kind: "latency", seconds: 0.5, status: 500 },
    });
    assert.equal(result.response.status, 400);
    assert.match(result.error?.error ?? "", /status does not apply to a latency fault/);
    const clock = unwrap(await emulator.control.GET("/_emulator/clock"));
    assert.equal(clock.manual, true);
    assert.equal(await advance(10), clock.now + 10);
  });
});

describe("createCakeworkClient", () => {
  it("refuses an empty API key", () => {
    assert.throws(() => createCakeworkClient({ apiKey: "" }), TypeError);
  });

  it("sends the key as X-Api-Key and keeps extra headers", async () => {
    const seen: Headers[] = [];
    const client = createCakeworkClient({
      apiKey: "k",
      baseUrl: emulator.baseUrl,
      headers: { "User-Agent": "cakework-ts-test", "X-Api-Key": "overridden" },
      fetch: async (request: Request) => {
        seen.push(request.headers);
        return fetch(request);
      },
    });
    await client.GET("/vms");
    assert.equal(seen[0]?.get("X-Api-Key"), "k");
    assert.equal(seen[0]?.get("User-Agent"), "cakework-ts-test");
  });
});
