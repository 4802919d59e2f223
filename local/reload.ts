/** What a reload compares and rebuilds: workers with their code inline, the differences between two sets of workers, the files a bundle reads. */
import * as crypto from "node:crypto";
import * as path from "node:path";
import * as esbuild from "esbuild";
import { MINIFLARE_GROUPS } from "../config/bindingKinds";

import type { BuiltWorker, CodeMap } from "./runner";

/** Miniflare options with the worker's code given inline, so a reload can put the previous code back. */
export function withCode(options: Record<string, unknown>, code: { file: string; contents: string }): Record<string, unknown> {
  const { scriptPath: _s, modules: _m, script: _c, ...rest } = options;
  return { ...rest, modules: [{ type: "ESModule", path: code.file, contents: code.contents }] };
}

export function sha256(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex");
}

/** What differs between two sets of workers, one line per worker. */
export function diffWorkers(before: BuiltWorker[], beforeCode: CodeMap, after: BuiltWorker[], afterCode: CodeMap): string[] {
  const lines: string[] = [];
  const old = new Map(before.map((w) => [w.key, w]));
  const now = new Map(after.map((w) => [w.key, w]));
  for (const w of after) {
    const prev = old.get(w.key);
    if (!prev) {
      lines.push(`+ worker ${w.key}`);
      continue;
    }
    const what: string[] = [];
    const added = Object.keys(w.bindings).filter((n) => !(n in prev.bindings));
    const removed = Object.keys(prev.bindings).filter((n) => !(n in w.bindings));
    const changed = Object.keys(w.bindings).filter((n) => n in prev.bindings && bindingValue(prev, n) !== bindingValue(w, n));
    if (added.length || removed.length || changed.length)
      what.push(`bindings ${[...added.map((n) => `+${n}`), ...removed.map((n) => `-${n}`), ...changed.map((n) => `~${n}`)].join(" ")}`);
    if (beforeCode.get(w.key)?.sha !== afterCode.get(w.key)?.sha) what.push("code");
    const rest = (o: Record<string, unknown>) => {
      const x: Record<string, unknown> = { ...o };
      for (const group of MINIFLARE_GROUPS) delete x[group];
      return JSON.stringify(x);
    };
    if (rest(prev.options) !== rest(w.options)) what.push("settings (routes, compatibility, consumers or crons)");
    if (what.length) lines.push(`${w.key}: ${what.join(", ")}`);
  }
  for (const w of before) if (!now.has(w.key)) lines.push(`- worker ${w.key}`);
  return lines;
}

/** A binding's value as Miniflare is given it, for comparison. */
export function bindingValue(w: BuiltWorker, name: string): string {
  const o = w.options as Record<string, Record<string, unknown> | undefined>;
  for (const group of MINIFLARE_GROUPS)
    if (o[group] && name in o[group]!) return `${group}:${JSON.stringify(o[group]![name])}`;
  return "";
}

/** The files esbuild reads to bundle an entry (absolute paths, node_modules left out). */
export async function bundleInputs(root: string, entry: string, alias?: Record<string, string>): Promise<string[]> {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*", "node:*"],
    // The worker's aliases lead to other files: those are its sources too.
    ...(alias && Object.keys(alias).length ? { alias } : {}),
    logLevel: "silent",
  });
  return Object.keys(result.metafile.inputs)
    .filter((f) => !f.split(/[\\/]/).includes("node_modules"))
    .map((f) => path.resolve(root, f));
}

