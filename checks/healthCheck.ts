/**
 * The post-deploy check of seed 004's validate-deployment.sh, driven by the declaration instead of
 * a hand-kept list: call every worker's `/health`, compare the bindings it reports with the ones
 * the program sends it, and say what is missing, extra or unhealthy.
 */
import { reportedType } from "../config/bindingKinds";
import { httpGet } from "./http";

export { httpGet };

/** Injected into every worker and reported as `environment`/`version`, not as bindings (their default names). */
const INJECTED = ["ENVIRONMENT", "VERSION"];

export interface HealthTarget {
  key: string;
  scriptName: string;
  /** Binding name → type, as the program sends them. */
  declared: Record<string, string>;
  /** Where `/health` is fetched; undefined when the worker has no URL. */
  url?: string;
  /** How a worker without a hostname is reached: only on workers.dev, or only through service bindings. */
  exposure?: Exposure;
  /** Host header to send (for a Host-routed entry); @default the URL's host */
  host?: string;
  /** The environment `/health` must report; undefined when the system injects none (`environmentVar: false`). */
  expectEnvironment: string | undefined;
  /** The version `/health` must report; undefined when the system injects none (`versionVar: false`). */
  expectVersion: string | undefined;
  /** Names of the injected vars (reported as environment/version, not as bindings). @default ENVIRONMENT, VERSION */
  injected?: string[];
  /**
   * An assets-only worker: no code, so no `/health`; the check asks for `/` instead and passes
   * when it answers without a server error. @default false
   */
  assetsOnly?: boolean;
}

/** How a worker with no hostname, route or custom domain is reached. */
export type Exposure = "workers.dev" | "no public URL" | "wildcard routes";

/** Why a worker without a hostname has no URL here. */
export function noUrlReason(t: { scriptName: string; exposure?: Exposure }): string {
  if (t.exposure === "wildcard routes") return "routed only by wildcard-host patterns (e.g. *.example.com/*): no one hostname to call";
  return t.exposure === "workers.dev"
    ? `no hostname: only on workers.dev (${t.scriptName}.<account subdomain>.workers.dev, which the declaration does not know)`
    : "no hostname, route or workers.dev: no public URL (reached through service bindings, queues, crons or tail events)";
}

export type Verdict = "ok" | "missing" | "extra" | "unhealthy" | "type mismatch" | "not checked";

export interface HealthRow {
  name: string;
  declared?: string;
  reported?: string;
  verdict: Verdict;
  detail?: string;
}

export interface WorkerHealth {
  key: string;
  scriptName: string;
  url?: string;
  status: number | "unreachable" | "no url";
  rows: HealthRow[];
  /** Problems besides bindings (status, environment, version, body). */
  problems: string[];
  /** Why the worker was not checked (it has no URL: a queue or cron worker). */
  skipped?: string;
  /** An assets-only worker, checked with GET / (it has no /health). */
  assetsOnly?: boolean;
  ok: boolean;
}

interface ReportedBinding {
  name: string;
  type?: string;
  present?: boolean;
  ok?: boolean;
  error?: string;
}

/** Compares one worker's declared bindings with what its `/health` reported. */
export function compareBindings(declared: Record<string, string>, reported: ReportedBinding[], injected: string[] = INJECTED): HealthRow[] {
  const rows: HealthRow[] = [];
  const seen = new Set<string>();
  for (const r of reported) {
    seen.add(r.name);
    const d = declared[r.name];
    const base = { name: r.name, ...(d ? { declared: d } : {}), ...(r.type ? { reported: r.type } : {}) };
    if (!r.present) rows.push({ ...base, verdict: "missing", detail: d ? "declared, but the worker does not see it" : "the worker needs it and it is not declared" });
    else if (!d) rows.push({ ...base, verdict: "extra", detail: "the worker has it but the declaration does not (set outside the program?)" });
    else if (r.type && reportedType(d) !== r.type) rows.push({ ...base, verdict: "type mismatch", detail: `declared as ${d}, the worker expects ${r.type}` });
    else if (r.ok === false) rows.push({ ...base, verdict: "unhealthy", detail: r.error ?? "does not answer" });
    else rows.push({ ...base, verdict: "ok" });
  }
  for (const [name, type] of Object.entries(declared)) {
    if (!seen.has(name) && !injected.includes(name)) rows.push({ name, declared: type, verdict: "not checked", detail: "declared; the worker's /health does not check it" });
  }
  return rows.sort((a, b) => (a.name < b.name ? -1 : 1));
}

export async function checkWorker(t: HealthTarget): Promise<WorkerHealth> {
  const result: WorkerHealth = { key: t.key, scriptName: t.scriptName, ...(t.url ? { url: t.url } : {}), status: "no url", rows: [], problems: [], ok: false, ...(t.assetsOnly ? { assetsOnly: true } : {}) };
  if (!t.url) {
    // Queue consumers and cron workers have no route: nothing to call (seed 004 checks only HTTP workers).
    return { ...result, ok: true, skipped: noUrlReason(t) };
  }
  if (t.assetsOnly) return checkAssetsOnly(t, result);
  let res: { status: number; body: string };
  try {
    res = await httpGet(`${t.url.replace(/\/$/, "")}/health`, t.host);
  } catch (e) {
    result.status = "unreachable";
    result.problems.push(`GET /health failed: ${e instanceof Error ? e.message : e}`);
    return result;
  }
  result.status = res.status;
  let body: { data?: { environment?: string; version?: string; bindings?: ReportedBinding[] } };
  try {
    body = JSON.parse(res.body);
  } catch {
    result.problems.push(`GET /health answered ${res.status} without JSON`);
    return result;
  }
  const data = body.data ?? {};
  if (res.status !== 200) result.problems.push(`GET /health answered ${res.status}`);
  const [envVar, versionVar] = t.injected ?? INJECTED;
  const renamed = (name: string | undefined, dflt: string) => (name && name !== dflt ? ` (it must report its ${name} var there)` : "");
  if (t.expectEnvironment !== undefined && data.environment !== t.expectEnvironment)
    result.problems.push(`environment is "${data.environment}", expected "${t.expectEnvironment}"${renamed(envVar, "ENVIRONMENT")}`);
  if (t.expectVersion !== undefined && data.version !== t.expectVersion)
    result.problems.push(`version is "${data.version}", expected "${t.expectVersion}" (an older deploy?)${renamed(versionVar, "VERSION")}`);
  if (!Array.isArray(data.bindings)) result.problems.push("/health reports no bindings list");
  result.rows = compareBindings(t.declared, Array.isArray(data.bindings) ? data.bindings : [], t.injected);
  result.ok = result.problems.length === 0 && result.rows.every((r) => r.verdict === "ok" || r.verdict === "not checked");
  return result;
}

/** An assets-only worker serves files only: `/` must answer (a 404 page counts), without a 5xx. */
async function checkAssetsOnly(t: HealthTarget, result: WorkerHealth): Promise<WorkerHealth> {
  try {
    const res = await httpGet(`${t.url!.replace(/\/$/, "")}/`, t.host);
    result.status = res.status;
    if (res.status >= 500) result.problems.push(`GET / answered ${res.status}`);
  } catch (e) {
    result.status = "unreachable";
    result.problems.push(`GET / failed: ${e instanceof Error ? e.message : e}`);
  }
  result.rows = [];
  result.ok = result.problems.length === 0;
  return result;
}

export function formatHealth(results: WorkerHealth[]): string {
  const lines: string[] = [];
  for (const r of results) {
    if (r.skipped) {
      lines.push(`SKIP  ${r.key} (${r.scriptName})  ${r.skipped}`);
      continue;
    }
    lines.push(`${r.ok ? "PASS" : "FAIL"}  ${r.key} (${r.scriptName})  ${r.url ?? ""}  ${typeof r.status === "number" ? `HTTP ${r.status}` : r.status}${r.assetsOnly ? "  (assets only: GET /, no /health)" : ""}`);
    for (const p of r.problems) lines.push(`      ! ${p}`);
    const width = Math.max(4, ...r.rows.map((x) => x.name.length));
    for (const row of r.rows) lines.push(`      ${row.verdict === "ok" ? "ok" : row.verdict === "not checked" ? "--" : "!!"} ${row.name.padEnd(width)}  ${row.verdict}${row.detail && row.verdict !== "ok" ? `: ${row.detail}` : ""}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  const checked = results.filter((r) => !r.skipped).length;
  const skipped = results.length - checked;
  lines.push(
    "",
    (failed ? `${failed} of ${checked} workers failed validation.` : `All ${checked} workers checked are healthy and match the declaration.`) +
      (skipped ? ` ${skipped} without a hostname skipped.` : ""),
  );
  return lines.join("\n");
}
