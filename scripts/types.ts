/**
 * `npm run types [-- --check] [--project <dir>]`, `workers-stack types [--check]` (the project in the working directory)
 *
 * Writes each worker's `env.generated.ts` (its `Env` and the bindings its `/health` checks) from
 * the declaration of every stack of the project (default: this project and every examples/*).
 * With --check, writes nothing and exits 1 naming the stale files.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { generateEnvFiles, type GeneratedFile } from "../config/envTypes";
import { deepMerge, isPlainObject } from "../config/merge";
import { systemSchema, type SystemConfig } from "../config/schema";
import { readStackConfig } from "../harness/pulumiConfig";
import { absentWorkers } from "../config/stackPresence";
import { runMain } from "./cli";

const REPO = path.resolve(__dirname, "..");

/** The stacks of a project: one per `Pulumi.<stack>.yaml`. */
export function stacksOf(root: string): string[] {
  return fs
    .readdirSync(root)
    .map((f) => /^Pulumi\.([^.]+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** Each stack's system: the shared declaration with that stack's overrides, parsed. */
export function stackSystems(root: string): Record<string, SystemConfig> {
  const out: Record<string, SystemConfig> = {};
  for (const stack of stacksOf(root)) {
    const { project, config } = readStackConfig(root, stack);
    const read = (key: string): unknown => (config[`${project}:${key}`] === undefined ? undefined : JSON.parse(config[`${project}:${key}`]!));
    const settings = read("stack");
    const shared = read("system");
    const merged = isPlainObject(settings) && isPlainObject(settings.overrides) ? deepMerge(shared, settings.overrides) : shared;
    const parsed = systemSchema.safeParse(merged);
    if (!parsed.success) throw new Error(`${path.join(root, `Pulumi.${stack}.yaml`)}: the declaration of stack ${stack} is not valid (${parsed.error.issues[0]?.message}); \`pulumi preview --stack ${stack}\` lists every problem`);
    // A worker absent from this stack (`stacks`) has no Env there.
    const absent = new Set(absentWorkers(parsed.data.workers, stack));
    out[stack] = absent.size ? { ...parsed.data, workers: Object.fromEntries(Object.entries(parsed.data.workers).filter(([k]) => !absent.has(k))) } : parsed.data;
  }
  return out;
}

/** The generated files of a project, with project-relative paths. */
export function generatedFiles(root: string): GeneratedFile[] {
  return generateEnvFiles("Pulumi.yaml", stackSystems(root));
}

/** The projects of this repository: itself and every examples/<name> with a Pulumi.yaml. */
export function repositoryProjects(): string[] {
  const examples = path.join(REPO, "examples");
  if (!fs.existsSync(examples)) return [REPO];
  return [
    REPO,
    ...fs
      .readdirSync(examples)
      .map((d) => path.join(examples, d))
      .filter((d) => fs.existsSync(path.join(d, "Pulumi.yaml")))
      .sort(),
  ];
}

/** Files whose content differs from what the declaration generates (absolute paths). */
export function staleFiles(root: string): string[] {
  return generatedFiles(root)
    .map((g) => ({ file: path.join(root, g.file), text: g.text }))
    .filter((g) => !fs.existsSync(g.file) || fs.readFileSync(g.file, "utf8") !== g.text)
    .map((g) => g.file);
}

export async function main(args: string[] = process.argv.slice(2)): Promise<number> {
  const { values } = parseArgs({ args, options: { check: { type: "boolean", default: false }, project: { type: "string" } } });
  const roots = values.project ? [path.resolve(values.project)] : repositoryProjects();
  let stale = 0;
  for (const root of roots) {
    for (const g of generatedFiles(root)) {
      const file = path.join(root, g.file);
      const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
      if (current === g.text) continue;
      stale++;
      if (values.check) console.error(`stale: ${path.relative(process.cwd(), file)}`);
      else {
        fs.writeFileSync(file, g.text);
        console.error(`wrote ${path.relative(process.cwd(), file)}`);
      }
    }
  }
  if (values.check && stale) {
    console.error(`${stale} generated file(s) differ from the declaration: run \`npm run types\``);
    return 1;
  }
  if (!stale) console.error("every generated worker type is up to date");
  return 0;
}

if (require.main === module) runMain(main);
