/**
 * What every sample worker shares: the uniform JSON envelope, the `/health` contract and the
 * admin-token check.
 *
 * `/health` answers `{ ok, data: { status, service, environment, version, bindings } }`, where
 * `bindings` lists every binding the worker's code needs, whether it is present and whether it
 * answers (D1 runs a query, KV a get). `npm run validate` compares that list with the declaration.
 */

import type { ReportedType } from "../../config/reportedTypes";

/** A binding's type as `/health` reports it: each kind's `reported` (config/kinds/). */
export type BindingKind = ReportedType;

export interface BindingReport {
  name: string;
  type: BindingKind;
  present: boolean;
  ok: boolean;
  error?: string;
}

export interface BaseEnv {
  ENVIRONMENT?: string;
  VERSION?: string;
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8", ...headers } });
}

export function ok(data: unknown, status = 200): Response {
  return json({ ok: true, data }, status);
}

export function fail(status: number, error: string): Response {
  return json({ ok: false, error }, status);
}

/** Checks one binding of `env` by kind: present, and usable where that can be asked cheaply. */
export async function checkBinding(env: Record<string, unknown>, name: string, type: BindingKind): Promise<BindingReport> {
  const value = env[name];
  if (value === undefined || value === null || value === "") return { name, type, present: false, ok: false, error: "missing" };
  try {
    switch (type) {
      case "d1":
        await (value as D1Database).prepare("SELECT 1 AS one").first();
        break;
      case "kv":
        await (value as KVNamespace).get("__health__");
        break;
      case "service":
        if (typeof (value as Fetcher).fetch !== "function") throw new Error("not a service binding");
        break;
      case "queue":
        if (typeof (value as Queue).send !== "function") throw new Error("not a queue producer");
        break;
      case "r2":
        await (value as R2Bucket).head("__health__");
        break;
      case "do":
        (value as DurableObjectNamespace).idFromName("__health__");
        break;
      case "workflow":
        if (typeof (value as Workflow).create !== "function") throw new Error("not a workflow binding");
        break;
      case "assets":
        if (typeof (value as Fetcher).fetch !== "function") throw new Error("not an assets binding");
        break;
      case "json":
        if (typeof value !== "object") throw new Error("not a JSON object");
        break;
      case "ai":
      case "vectorize":
      case "aiSearch":
      case "artifacts":
        // Cloudflare-only services (a 501 stand-in locally): present is all that can be asked for free.
        if (typeof value !== "object") throw new Error(`not a ${type} binding`);
        break;
      case "browser":
      case "mtls":
        if (typeof (value as Fetcher).fetch !== "function") throw new Error(`not a ${type} binding`);
        break;
      case "dispatch":
        if (typeof (value as DispatchNamespace).get !== "function") throw new Error("not a dispatch namespace");
        break;
      case "version":
        if (typeof (value as WorkerVersionMetadata).id !== "string") throw new Error("not version metadata");
        break;
      case "analytics":
        if (typeof (value as AnalyticsEngineDataset).writeDataPoint !== "function") throw new Error("not an Analytics Engine dataset");
        break;
      case "hyperdrive":
        if (typeof (value as Hyperdrive).connectionString !== "string") throw new Error("not a Hyperdrive binding");
        break;
      case "email":
        if (typeof (value as SendEmail).send !== "function") throw new Error("not a send_email binding");
        break;
      case "ratelimit":
        if (typeof (value as RateLimit).limit !== "function") throw new Error("not a rate limit binding");
        break;
      case "var":
      case "secret":
        if (typeof value !== "string") throw new Error("not a string");
        break;
      default: {
        const unknownKind: never = type;
        throw new Error(`no health check for binding type ${String(unknownKind)}`);
      }
    }
    return { name, type, present: true, ok: true };
  } catch (e) {
    return { name, type, present: true, ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * The `/health` response of a worker that needs `needs`. 200 when every binding answers, else 503.
 * With `uniform`, the body also carries seed 003's flat contract (`service`, `env`, `status: ok`,
 * `version`) and the status is always 200 (that contract's "always 200").
 */
export async function health(service: string, env: BaseEnv & Record<string, unknown>, needs: Record<string, BindingKind>, uniform = false): Promise<Response> {
  const bindings = await Promise.all(Object.entries(needs).map(([name, type]) => checkBinding(env, name, type)));
  const healthy = bindings.every((b) => b.ok);
  const flat = uniform ? { service, env: env.ENVIRONMENT ?? "unknown", status: healthy ? "ok" : "degraded", version: env.VERSION ?? "unknown" } : {};
  return json(
    {
      ...flat,
      ok: healthy,
      data: {
        status: healthy ? "healthy" : "degraded",
        service,
        environment: env.ENVIRONMENT ?? "unknown",
        version: env.VERSION ?? "unknown",
        bindings,
      },
    },
    healthy || uniform ? 200 : 503,
  );
}

/**
 * Compares a given value with a secret in time that depends on neither where they differ nor the
 * secret's length: both are hashed to 32 bytes (SHA-256), then compared with workerd's
 * `crypto.subtle.timingSafeEqual`.
 */
export async function safeEqual(given: string, secret: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([crypto.subtle.digest("SHA-256", enc.encode(given)), crypto.subtle.digest("SHA-256", enc.encode(secret))]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** True when the request carries `Authorization: Bearer <token>` with the right token. */
export async function isAdmin(request: Request, token: string | undefined): Promise<boolean> {
  const header = request.headers.get("authorization") ?? "";
  const given = header.startsWith("Bearer ") ? header.slice(7) : "";
  return Boolean(token) && Boolean(given) && (await safeEqual(given, token!));
}
