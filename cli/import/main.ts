/**
 * `workers-stack import <wrangler.toml|wrangler.json|wrangler.jsonc>... --out <dir>
 * [--top-level-stack production] [--force]`: prints what it wrote, one line per thing it could not
 * translate, the ids to find before the first `up` and the secrets to set. Exit 0 when written
 * without mistakes, 1 when a config has mistakes (the project is still written), 2 on a usage error.
 */
import * as path from "node:path";
import { ImportError, importWrangler, ImportResult } from "./importer";
import type { Line } from "./model";
import { writeProject } from "./project";

export const USAGE = "workers-stack import <wrangler.toml|wrangler.json|wrangler.jsonc>... --out <dir> [--top-level-stack production] [--force]";

export function parseArgs(args: string[]): { files: string[]; out: string; topLevelStack?: string; force: boolean } {
  const files: string[] = [];
  let out: string | undefined;
  let topLevelStack: string | undefined;
  let force = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined || v.startsWith("--")) throw new ImportError(`${a} needs a value\nusage: ${USAGE}`);
      return v;
    };
    if (a === "--out") out = value();
    else if (a === "--top-level-stack") topLevelStack = value();
    else if (a === "--force") force = true;
    else if (a === "--") continue;
    else if (a.startsWith("-")) throw new ImportError(`unknown option ${a}\nusage: ${USAGE}`);
    else files.push(a);
  }
  if (!out) throw new ImportError(`--out <dir> is required: the folder the project is written to\nusage: ${USAGE}`);
  if (!files.length) throw new ImportError(`give at least one wrangler config\nusage: ${USAGE}`);
  return { files, out, force, ...(topLevelStack !== undefined ? { topLevelStack } : {}) };
}

const where = (l: Line) =>
  [l.file || (l.stacks ? "Pulumi.yaml" : "(system)"), l.env === undefined ? "" : l.env === "" ? "top level" : `env ${l.env}`, l.key].filter(Boolean).join(" ");

/** What the command prints after writing (also the README's example). */
export function summary(r: ImportResult, out: string, written: string[]): string {
  const lines: string[] = [];
  lines.push(`workers-stack import: ${r.workers.length} worker${r.workers.length === 1 ? "" : "s"}, stacks ${r.stacks.join(", ")}`);
  for (const w of r.workers) lines.push(`  ${w.key.padEnd(16)} ${w.file}: ${Object.entries(w.stacks).map(([s, x]) => `${s}=${x.name}`).join(" ") || "on no stack"}`);
  lines.push(`wrote ${written.map((f) => path.join(out, f)).join(", ")}`);
  const group = (title: string, levels: Line["level"][]) => {
    const ls = r.lines.filter((l) => levels.includes(l.level));
    if (!ls.length) return;
    lines.push("", `${title} (${ls.length}):`);
    for (const l of ls) lines.push(`  ${where(l)}: ${l.why}`);
  };
  group("mistakes in the configs", ["error"]);
  group("not translated", ["untranslated", "later"]);
  group("notes", ["note", "todo"]);
  const finds = r.stacks.flatMap((s) => r.todo[s]!.find.map((f) => `  ${s}: ${f.what}: ${f.command}`));
  if (finds.length) lines.push("", "before the first `pulumi up`, find what the configs do not hold (then add it to the stack file):", ...finds);
  const secrets = r.stacks.flatMap((s) => r.todo[s]!.secrets.map((n) => `  pulumi config set --secret ${n} <value> --stack ${s}`));
  if (secrets.length) lines.push("", "secrets the workers expect:", ...secrets);
  lines.push("", "per stack: pulumi config set accountId <32-hex account id> --stack <stack>");
  if (r.zones.length) lines.push(`  and the zone ids: pulumi config set zoneId <id of ${r.zones[0]}> --stack <stack>${r.zones.length > 1 ? `; stack setting zoneIds for ${r.zones.slice(1).join(", ")}` : ""}`);
  lines.push("", `next: ${out === "." ? "" : `cd ${out} && `}npm install, then per stack: pulumi stack init <stack>, the config above, pulumi preview (only imports and updates)`);
  return lines.join("\n");
}

export async function main(args: string[]): Promise<number> {
  const opts = parseArgs(args);
  const result = importWrangler(opts);
  const out = path.resolve(opts.out);
  const written = writeProject(out, result, opts.force);
  console.log(summary(result, opts.out, written));
  return result.lines.some((l) => l.level === "error") ? 1 : 0;
}

export function onMainError(e: unknown): number | undefined {
  if (e instanceof ImportError || (e instanceof Error && (e as { exitCode?: number }).exitCode === 2)) {
    console.error(`workers-stack import: ${e.message}`);
    return 2;
  }
  return undefined;
}
