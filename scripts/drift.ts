/**
 * `npm run drift -- --stack <s> [--cwd <project dir>]`
 *
 * Runs `pulumi refresh --preview-only --expect-no-changes` for one stack through the Automation
 * API and says what differs between Cloudflare and the last deployment: each resource's type,
 * name, URN, the kind of change and the properties that changed (never their values: they may be
 * secrets). Exit codes: 0 no drift, 1 drift (or the refresh failed), 2 the machine is not ready
 * (no Pulumi CLI, no Cloudflare token, not logged in, unknown stack).
 *
 * Why the Automation API and not `pulumi refresh --json`: it hands over the engine's events as
 * typed objects while the CLI runs (the same events the CLI renders), so the summary is built from
 * structured step metadata rather than scraped from text, and `npm run promote` drives its
 * previews and ups through the same API. It still uses the `pulumi` on PATH, so it needs the CLI
 * exactly like a hand-typed command would.
 *
 * What refresh cannot see: a `secret_text` value changed outside Pulumi (the provider restores
 * secret values from the state). `npm run validate` against the live URLs complements it.
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { requireCloudflareToken, requirePulumiCli, selectStack, stripAnsi } from "./pulumiCli";
import { runMain } from "./cli";

/** One resource that differs from the state. */
export interface DriftItem {
  urn: string;
  type: string;
  /** The resource's Pulumi name (last part of the URN). */
  name: string;
  /** What refresh found: `changed` (outputs differ), `deleted` (gone from Cloudflare), `unreadable` (the read failed), or the engine's op. */
  change: string;
  /** Top-level or detailed property paths that differ, sorted; empty when unknown. */
  properties: string[];
}

export interface DriftSummary {
  items: DriftItem[];
  /** The engine's own count of refresh results by op (`same`, `update`, `delete`). */
  counts: Record<string, number>;
  /** Error diagnostics the engine reported (colour codes removed). */
  errors: string[];
}

/** Ops that mean "Cloudflare matches the state". `refresh` is the pre-event of every resource. */
const UNCHANGED = new Set(["same", "refresh", "read"]);

function nameOf(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/** Keys whose values differ between two output objects (secrets arrive masked, so they compare equal). */
export function changedKeys(before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined): string[] {
  const a = before ?? {};
  const b = after ?? {};
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

/**
 * Builds the drift summary from the engine events of a refresh preview. For each resource the
 * engine sends a `resourcePreEvent` (op `refresh`) and then a `resOutputsEvent` whose op is the
 * result: `same`, `update` (what Cloudflare returned differs from the state) or `delete` (the
 * resource no longer exists). Newer engines add `diffs`/`detailedDiff`; older ones only send the
 * old and new state, so the changed keys are computed from their outputs.
 */
export function summarizeDrift(events: EngineEvent[]): DriftSummary {
  const byUrn = new Map<string, DriftItem>();
  const errors: string[] = [];
  let counts: Record<string, number> = {};
  for (const e of events) {
    if (e.resOutputsEvent) {
      const m = e.resOutputsEvent.metadata;
      if (UNCHANGED.has(m.op)) continue;
      const detailed = Object.keys(m.detailedDiff ?? {});
      const properties = detailed.length ? detailed : m.diffs?.length ? [...m.diffs] : m.op === "delete" ? [] : changedKeys(m.old?.outputs, m.new?.outputs);
      const change = m.op === "update" ? "changed" : m.op === "delete" ? "deleted" : m.op;
      byUrn.set(m.urn, { urn: m.urn, type: m.type, name: nameOf(m.urn), change, properties: [...new Set(properties)].sort() });
    } else if (e.resOpFailedEvent) {
      const m = e.resOpFailedEvent.metadata;
      byUrn.set(m.urn, { urn: m.urn, type: m.type, name: nameOf(m.urn), change: "unreadable", properties: [] });
    } else if (e.diagnosticEvent?.severity === "error") {
      const text = stripAnsi(e.diagnosticEvent.message).trim();
      if (text) errors.push(text);
    } else if (e.summaryEvent) {
      counts = Object.fromEntries(Object.entries(e.summaryEvent.resourceChanges ?? {}).map(([k, v]) => [k, Number(v)]));
    }
  }
  const items = [...byUrn.values()].sort((a, b) => (a.type === b.type ? (a.urn < b.urn ? -1 : 1) : a.type < b.type ? -1 : 1));
  return { items, counts, errors };
}

/** True when the summary reports any difference (from the items or from the engine's counts). */
export function hasDrift(s: DriftSummary): boolean {
  return s.items.length > 0 || Object.entries(s.counts).some(([op, n]) => !UNCHANGED.has(op) && n > 0);
}

const MARK: Record<string, string> = { changed: "~", deleted: "-", unreadable: "!" };

/** The text `npm run drift` prints. */
export function formatDrift(stack: string, s: DriftSummary): string {
  if (!hasDrift(s)) {
    const same = s.counts.same;
    return `No drift: every resource of stack "${stack}" matches its last deployment${same !== undefined ? ` (${same} resources checked)` : ""}.`;
  }
  const n = s.items.length;
  const what = n === 0 ? "some resources differ" : n === 1 ? "1 resource differs" : `${n} resources differ`;
  const lines = [`DRIFT in stack "${stack}": ${what} from the last deployment:`];
  for (const d of s.items) {
    const props = d.properties.length ? `: ${d.properties.join(", ")}` : d.change === "deleted" ? ": deleted outside Pulumi" : "";
    lines.push(`  ${MARK[d.change] ?? "?"} ${d.change.padEnd(10)} ${d.type}  ${d.name}${props}`, `      ${d.urn}`);
  }
  lines.push(
    "",
    `Restore the declared state with: pulumi up --stack ${stack}`,
    "Or, if the change was intended, put it in the declaration (Pulumi.yaml / Pulumi.<stack>.yaml) and deploy it.",
  );
  return lines.join("\n");
}

/** Runs the refresh preview and returns its summary. Throws PreflightError when the machine is not ready. */
export async function checkDrift(opts: { root: string; stack: string; onOutput?: (s: string) => void }): Promise<{ summary: DriftSummary; failure?: string }> {
  requirePulumiCli();
  requireCloudflareToken(opts.root, opts.stack);
  const stack = await selectStack(opts.root, opts.stack);
  const events: EngineEvent[] = [];
  let failure: string | undefined;
  try {
    await stack.previewRefresh({ expectNoChanges: true, onEvent: (e) => events.push(e), ...(opts.onOutput ? { onOutput: opts.onOutput } : {}) });
  } catch (e) {
    // --expect-no-changes makes the CLI fail when there is drift; the events say what it was.
    failure = stripAnsi(e instanceof Error ? e.message : String(e));
  }
  return { summary: summarizeDrift(events), ...(failure ? { failure } : {}) };
}

/** The command: `args` as after `workers-stack <command>` (default: this process's arguments). */
export async function main(args: string[] = process.argv.slice(2)): Promise<number> {
  const { values } = parseArgs({ args, options: { stack: { type: "string" }, cwd: { type: "string" }, verbose: { type: "boolean", short: "v", default: false } } });
  if (!values.stack) {
    console.error("usage: npm run drift -- --stack <name> [--cwd <project dir>] [--verbose]");
    return 2;
  }
  const root = path.resolve(values.cwd ?? process.cwd());
  console.log(`workers-stack drift: pulumi refresh --preview-only --expect-no-changes --stack ${values.stack}`);
  const { summary, failure } = await checkDrift({ root, stack: values.stack, ...(values.verbose ? { onOutput: (s: string) => process.stdout.write(s) } : {}) });
  if (hasDrift(summary)) {
    console.log(formatDrift(values.stack, summary));
    return 1;
  }
  if (failure) {
    console.error(`The refresh of stack "${values.stack}" failed before it could compare anything:`);
    console.error(summary.errors.length ? summary.errors.join("\n") : failure);
    return 1;
  }
  console.log(formatDrift(values.stack, summary));
  return 0;
}

if (require.main === module) runMain(main);
