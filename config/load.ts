/**
 * Reads one stack's configuration from the Pulumi runtime and the working tree, validates it and
 * builds its plan. This is the only place where config meets I/O; validation and the plan are pure.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./errors";
import { buildPlan, Plan } from "./plan";
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
  const issues: { path: string; message: string; hint: string }[] = [];
  const json = (key: string): unknown => {
    const raw = all[`${project}:${key}`];
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw);
    } catch {
      issues.push({ path: key, message: "must be an object (a YAML mapping)", hint: `see README "Configuration"` });
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
    ...(plain("accountId") !== undefined ? { accountId: plain("accountId") } : {}),
    ...(plain("zoneId") !== undefined ? { zoneId: plain("zoneId") } : {}),
    lookup(key) {
      const full = `${project}:${key}`;
      const value = all[full];
      return value === undefined ? undefined : { value, secret: isSecret(full) };
    },
  };
}

/** Facts about the working tree below `root`. */
export function fileFacts(root: string, now: Date = new Date()): Facts {
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

/** Reads, validates and plans the current stack. Throws ConfigError before anything is registered. */
export function loadPlan(root: string = projectRoot()): Plan {
  const declaration = validate(readConfigSource(), fileFacts(root));
  return buildPlan(declaration, declaration.settings.version ?? gitVersion(root));
}
