/**
 * Generated worker types (`npm run types`): for every worker of a project, its `Env` interface and
 * the bindings table its `/health` checks, from the declaration of every stack — like
 * `wrangler types`, with the injected `ENVIRONMENT` and `VERSION`. Pure: the caller reads the
 * stacks' systems and writes the files (scripts/types.ts).
 */
import * as path from "node:path";
import { kindOf, planBinding } from "./bindingKinds";
import { workflowHosts } from "./graph";
import type { SystemConfig } from "./schema";
import { injectedVars } from "./names";

/** Name of the generated file, beside each worker's entry module. */
export const ENV_FILE = "env.generated.ts";

interface EnvEntry {
  ts: string;
  reported: string;
}

/** A TypeScript type for a JSON var's value (its shape, not its literal value). */
export function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) {
    const items = [...new Set(value.map(jsonType))].sort();
    return items.length === 0 ? "unknown[]" : items.length === 1 ? `${items[0]}[]` : `(${items.join(" | ")})[]`;
  }
  if (typeof value === "object") {
    const fields = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : JSON.stringify(k)}: ${jsonType(v)}`);
    return fields.length ? `{ ${fields.join("; ")} }` : "Record<string, never>";
  }
  return typeof value === "string" ? "string" : typeof value === "number" ? "number" : "boolean";
}

/** What one worker of one stack's system has in `env`, by name (injected names left out). */
export function workerEnv(system: SystemConfig, key: string): Map<string, EnvEntry> {
  const w = system.workers[key]!;
  const out = new Map<string, EnvEntry>();
  for (const [name, value] of Object.entries(w.vars ?? {}))
    out.set(name, typeof value === "string" ? { ts: "string", reported: "var" } : { ts: jsonType(value), reported: "json" });
  for (const name of w.secrets ?? []) out.set(name, { ts: "string", reported: "secret" });
  if (w.assets?.binding !== undefined) {
    const kind = kindOf("assets")!;
    out.set(w.assets.binding, { ts: kind.envType({ name: w.assets.binding, type: "assets" }), reported: kind.reported });
  }
  const hosts = workflowHosts(system);
  for (const [name, declared] of Object.entries(w.bindings ?? {})) {
    const planned = planBinding(name, declared, {
      self: key,
      workflow: (wf) => {
        const host = hosts.get(wf);
        return host === undefined ? undefined : { worker: host, name: wf, className: system.workers[host]!.workflows![wf]!.className };
      },
    });
    const kind = kindOf(planned.type)!;
    out.set(name, { ts: kind.envType(planned), reported: kind.reported });
  }
  return out;
}

/** One generated file: where (project-relative) and its text. */
export interface GeneratedFile {
  file: string;
  text: string;
}

/**
 * The generated file of every worker of a project, from each stack's system (the shared system
 * with that stack's overrides). A name some stacks lack is optional; types that differ by stack
 * are joined.
 */
export function generateEnvFiles(projectFile: string, systems: Record<string, SystemConfig>): GeneratedFile[] {
  const stacks = Object.keys(systems).sort();
  const workers = [...new Set(stacks.flatMap((s) => Object.keys(systems[s]!.workers)))].sort();
  const files = new Map<string, { workers: string[]; text: string }>();
  for (const key of workers) {
    const present = stacks.filter((s) => Object.hasOwn(systems[s]!.workers, key));
    // An assets-only worker (no entry on any stack) has no code to type.
    const entry = present.map((s) => systems[s]!.workers[key]!.entry).find((e) => e !== undefined);
    if (entry === undefined) continue;
    const entries = new Map<string, { ts: Set<string>; reported: Set<string>; stacks: string[] }>();
    for (const s of present) {
      for (const [name, e] of workerEnv(systems[s]!, key)) {
        const x = entries.get(name) ?? { ts: new Set<string>(), reported: new Set<string>(), stacks: [] };
        x.ts.add(e.ts);
        x.reported.add(e.reported);
        x.stacks.push(s);
        entries.set(name, x);
      }
    }
    const names = [...entries.keys()].sort();
    // The injected vars under the names each stack gives them (`environmentVar`, `versionVar`).
    const injected = (which: "environment" | "version", doc: string): string[] => {
      const byName = new Map<string, string[]>();
      for (const s of present) {
        const n = injectedVars(systems[s]!)[which];
        if (n !== false) byName.set(n, [...(byName.get(n) ?? []), s]);
      }
      return [...byName].sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([n, on]) => [`  /** ${doc} */`, `  ${n}${on.length < present.length ? "?" : ""}: string;${on.length < present.length ? ` // only on ${on.join(", ")}` : ""}`]);
    };
    const only = (e: { stacks: string[] }) => (e.stacks.length < present.length ? ` // only on ${e.stacks.join(", ")}` : "");
    const lines = [
      `// Generated by \`npm run types\` from the declaration of worker "${key}" in ${projectFile} and its stacks (${present.join(", ")}).`,
      "// Do not edit: `npm test` fails when this file is stale.",
      "",
      "/** What the worker finds in `env`, as every stack sends it. */",
      "export interface Env {",
      ...injected("environment", "The stack name, injected into every worker."),
      ...injected("version", "The deployed version (git commit or `stack.version`), injected into every worker."),
      ...names.map((n) => {
        const e = entries.get(n)!;
        return `  ${n}${e.stacks.length < present.length ? "?" : ""}: ${[...e.ts].sort().join(" | ")};${only(e)}`;
      }),
      "}",
      "",
      "/** Every declared binding with the type its `/health` reports (what the health check expects). */",
      "export const BINDINGS = {",
      ...names.map((n) => {
        const reported = [...entries.get(n)!.reported].sort();
        if (reported.length > 1) throw new Error(`system.workers.${key}: ${n} is a ${reported.join(" on one stack and a ")} on another: give the binding one kind on every stack`);
        return `  ${n}: ${JSON.stringify(reported[0])},`;
      }),
      "} as const;",
      "",
    ];
    const file = path.posix.join(path.posix.dirname(entry.replace(/\\/g, "/")), ENV_FILE);
    const prev = files.get(file);
    if (prev) throw new Error(`workers ${prev.workers.join(", ")} and ${key} share the folder of ${entry}: give each worker its own folder so each gets its own ${ENV_FILE}`);
    files.set(file, { workers: [key], text: lines.join("\n") });
  }
  return [...files.entries()].map(([file, f]) => ({ file, text: f.text }));
}
