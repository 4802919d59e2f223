/**
 * Reads one stack's configuration from the Pulumi runtime and the working tree, validates it and
 * builds its plan. This is the only place where config meets I/O; validation and the plan are pure.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { buildBundle, BuiltBundle } from "../components/bundle";
import { ConfigError } from "./errors";
import type { BundleOptions } from "./scriptSettings";
import { buildPlan, Plan } from "./plan";
import { scanAssets } from "./assets";
import { ConfigSource, Facts, validate } from "./validate";

// Not in the SDK's public typings, but the SDK's own Config uses it to know which keys were set
// with --secret (the CLI passes their names in PULUMI_CONFIG_SECRET_KEYS).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeConfig: { isConfigSecret?: (key: string) => boolean } = require("@pulumi/pulumi/runtime/config");

/** The folder holding the project's Pulumi.yaml: config paths are relative to it. */
export function projectRoot(): string {
  // WORKERS_STACK_ROOT is set by the local runner and the tests. getRootDirectory() is "" when
  // the CLI gave none, and the literal "rootDirectory" under mocks: only an absolute path counts.
  if (process.env.WORKERS_STACK_ROOT) return process.env.WORKERS_STACK_ROOT;
  const root = pulumi.runtime.getRootDirectory();
  return root && path.isAbsolute(root) ? root : process.cwd();
}

/** The stack's configuration as the validator wants it, read from the Pulumi runtime. */
export function readConfigSource(): ConfigSource {
  const project = pulumi.getProject();
  const stack = pulumi.getStack();
  const all = pulumi.runtime.allConfig();
  const isSecret = (key: string) => runtimeConfig.isConfigSecret?.(key) ?? false;
  const issues: { path: string; message: string; hint: string; file: string }[] = [];
  const json = (key: string): unknown => {
    const raw = all[`${project}:${key}`];
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw);
    } catch {
      issues.push({ path: key, message: "must be an object (a YAML mapping)", hint: `see README "Configuration"`, file: key === "system" ? "Pulumi.yaml" : `Pulumi.${stack}.yaml` });
      return undefined;
    }
  };
  const system = json("system");
  const stackSettings = json("stack");
  if (issues.length) throw new ConfigError(stack, issues);
  const plain = (key: string) => all[`${project}:${key}`];
  return {
    project,
    stack,
    system,
    stackSettings,
    keys: Object.keys(all)
      .filter((k) => k.startsWith(`${project}:`))
      .map((k) => k.slice(project.length + 1)),
    ...(plain("accountId") !== undefined ? { accountId: plain("accountId") } : {}),
    ...(plain("zoneId") !== undefined ? { zoneId: plain("zoneId") } : {}),
    lookup(key) {
      const full = `${project}:${key}`;
      const value = all[full];
      return value === undefined ? undefined : { value, secret: isSecret(full) };
    },
  };
}

/** Where a worker's bundle is written, relative to the project root (git-ignored). */
export function bundleDir(stack: string, worker: string): string {
  return `.workers-stack/build/${stack}/${worker}`;
}

/** The working tree's facts, and the bundles built while checking them (by worker key). */
export type FileFacts = Facts & { bundles: Map<string, BuiltBundle> };

/**
 * Facts about the working tree below `root`. With `stack`, every worker's entry is bundled
 * (esbuild's API, in memory) while it is validated; the bundles are kept for the components.
 */
export function fileFacts(root: string, now: Date = new Date(), stack?: string): FileFacts {
  const bundles = new Map<string, BuiltBundle>();
  const stat = (rel: string) => {
    try {
      return fs.statSync(path.resolve(root, rel));
    } catch {
      return undefined;
    }
  };
  return {
    isFile: (rel) => stat(rel)?.isFile() ?? false,
    listDir: (rel) => (stat(rel)?.isDirectory() ? fs.readdirSync(path.resolve(root, rel)).sort() : undefined),
    today: now.toISOString().slice(0, 10),
    insideProject: (rel) => {
      try {
        const real = fs.realpathSync(path.resolve(root, rel));
        const base = fs.realpathSync(root);
        return real === base || real.startsWith(base + path.sep);
      } catch {
        return true; // does not exist: reported as missing
      }
    },
    bundles,
    assets(rel: string) {
      const scan = scanAssets(path.resolve(root, rel), root);
      return { files: scan.files.length, problems: scan.problems };
    },
    ...(stack !== undefined
      ? {
          bundle(entry: string, worker: string, options?: BundleOptions) {
            const built = buildBundle(root, entry, bundleDir(stack, worker), options);
            bundles.set(worker, built);
            return built.ok ? { bytes: built.bytes.length, gzipBytes: built.gzipBytes } : { errors: built.errors };
          },
        }
      : {}),
  };
}

/** The short git commit of the working tree, or "dev" outside git. */
export function gitVersion(root: string): string {
  try {
    return execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || "dev";
  } catch {
    return "dev";
  }
}

/**
 * Reads, validates and plans the current stack, bundling every worker on the way. Throws
 * ConfigError before anything is registered, listing every problem (a worker that does not
 * bundle included). Returns the plan and each worker's bundle bytes (and source map, when it
 * uploads one), by worker key.
 */
export function loadPlan(root: string = projectRoot(), source: ConfigSource = readConfigSource()): { plan: Plan; bundles: Map<string, Buffer>; sourceMaps: Map<string, Buffer> } {
  const facts = fileFacts(root, new Date(), source.stack);
  const declaration = validate(source, facts);
  const plan = buildPlan(declaration, declaration.settings.version ?? gitVersion(root));
  const bundles = new Map<string, Buffer>();
  const sourceMaps = new Map<string, Buffer>();
  for (const w of plan.workers) {
    if (w.entry === undefined) continue; // an assets-only worker: no code
    const built = facts.bundles.get(w.key);
    // validate() bundled every worker that passed; anything else is a bug, said as such.
    if (!built?.ok) throw new Error(`workers-stack: internal error: worker ${w.key} was validated without a bundle`);
    bundles.set(w.key, built.bytes);
    if (built.map) sourceMaps.set(w.key, built.map);
  }
  return { plan, bundles, sourceMaps };
}

/**
 * The plan of the current stack without bundling (for the local runner, which gets its bundles
 * from the evaluation that just ran). Throws ConfigError like `loadPlan`.
 */
export function readPlan(root: string = projectRoot()): Plan {
  const source = readConfigSource();
  const declaration = validate(source, fileFacts(root, new Date()));
  return buildPlan(declaration, declaration.settings.version ?? gitVersion(root));
}
