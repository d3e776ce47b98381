/**
 * The Cakework API client for TypeScript: openapi-fetch over types generated from openapi.yaml.
 *
 * This module is the one hand-written piece: it builds the openapi-fetch client (base URL,
 * `X-Api-Key`) and turns a refused request into {@link CakeworkApiError}. Requests, paths,
 * parameters and bodies are typed by `./generated/cakework.ts` (openapi-typescript, never
 * edited by hand). The client is thin on purpose: no retries, no waiters, no pagination.
 *
 * @example
 * ```ts
 * const cakework = createCakeworkClient({ apiKey: process.env.CAKEWORK_API_KEY! });
 * const image = unwrap(await cakework.POST("/image/import", { body: { imageUri, password } }));
 * const vm = unwrap(await cakework.POST("/vm/start", { body: { imageId: image.imageId } }));
 * ```
 */

import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { components, paths } from "./generated/cakework.js";

export type { components, operations, paths } from "./generated/cakework.js";
export type {
  components as EmulatorComponents,
  operations as EmulatorOperations,
  paths as EmulatorPaths,
} from "./generated/emulator.js";

/** An error body of the API: the one name this module gives the spec's error schema. */
export type ErrorBody = components["schemas"]["ErrorBody"];

/** The production API; the local emulator prints its own (`http://127.0.0.1:<port>/v1`). */
export const DEFAULT_BASE_URL = "https://api.cakework.com/v1";

/** Options of {@link createCakeworkClient}. */
export interface CakeworkOptions {
  /** Your Cakework API key, sent as `X-Api-Key` on every request. */
  apiKey: string;
  /** Base URL including `/v1`; defaults to {@link DEFAULT_BASE_URL}. */
  baseUrl?: string;
  /** Extra headers sent on every request (`X-Api-Key` always comes from `apiKey`). */
  headers?: Record<string, string>;
  /** A `fetch` to use instead of the global one (a proxy agent, a test double). */
  fetch?: ClientOptions["fetch"];
}

/** The typed client: `GET`, `POST`, ... on the paths of openapi.yaml. */
export type CakeworkClient = Client<paths, "application/json">;

/**
 * Build a client for the Cakework API.
 *
 * @throws TypeError when `apiKey` is empty.
 */
export function createCakeworkClient(options: CakeworkOptions): CakeworkClient {
  if (!options.apiKey) {
    throw new TypeError("apiKey is required (the X-Api-Key of every request)");
  }
  return createClient<paths, "application/json">({
    baseUrl: options.baseUrl ?? DEFAULT_BASE_URL,
    headers: { ...options.headers, "X-Api-Key": options.apiKey },
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
}

/**
 * A request the API answered with a 4xx or 5xx status.
 *
 * `body` is the error body when it has the documented shape (an object whose `error` and
 * `message`, when present, are strings); a body in another shape (an HTML page from a
 * proxy, plain text, nothing) leaves it `undefined`, and `rawBody` holds what was received.
 * The message follows the spec's rule: `error`, then `message`, then a string body, then
 * the HTTP status text.
 */
export class CakeworkApiError extends Error {
  /** The HTTP status code. */
  readonly status: number;
  /** The error body, when it has the documented shape. */
  readonly body: ErrorBody | undefined;
  /** The body as openapi-fetch read it: parsed JSON, text, or `undefined` when empty. */
  readonly rawBody: unknown;
  /** The response, for its headers (e.g. `Retry-After` on a 429). */
  readonly response: Response;

  constructor(response: Response, rawBody: unknown) {
    const body = isErrorBody(rawBody) ? rawBody : undefined;
    const reason =
      body?.error ??
      body?.message ??
      (typeof rawBody === "string" && rawBody.trim() !== "" ? rawBody.trim() : undefined) ??
      (response.statusText || "no reason given");
    super(`HTTP ${response.status}: ${reason}`);
    this.name = "CakeworkApiError";
    this.status = response.status;
    this.body = body;
    this.rawBody = rawBody;
    this.response = response;
  }
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return false;
  }
  const { error, message } = value as Record<string, unknown>;
  return (
    (error === undefined || typeof error === "string") &&
    (message === undefined || typeof message === "string")
  );
}

/** What every openapi-fetch call resolves to. */
export interface FetchResult<Data> {
  data?: Data;
  error?: unknown;
  response: Response;
}

/**
 * The data of a successful call, or throw for a refused one.
 *
 * Success is decided by the status (2xx), not by `error` being set: openapi-fetch leaves
 * `error` undefined when a refusal has an empty body.
 *
 * @returns `data` (`undefined` for a 204).
 * @throws CakeworkApiError when the status is not 2xx.
 */
export function unwrap<Data>(result: FetchResult<Data>): Data {
  if (!result.response.ok) {
    throw new CakeworkApiError(result.response, result.error);
  }
  return result.data as Data;
}
