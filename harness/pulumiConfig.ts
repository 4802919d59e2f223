/**
 * Reads a stack's configuration the way the Pulumi CLI hands it to the program: project-level
 * config from Pulumi.yaml, overlaid key by key with Pulumi.<stack>.yaml. Used where there is no
 * CLI — the tests and the local runner — so they run the program on the real stack files.
 *
 * Encrypted values (`secure: v1:...`) cannot be read without the stack's secrets provider; the
 * caller supplies their values (test values, or the local runner's git-ignored file).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, YAMLParseError } from "yaml";
import { checkStackName } from "../config/names";

/**
 * Parses a Pulumi YAML file; a syntax error names the file, line and column, e.g.
 * `Pulumi.staging.yaml:7:5: YAML syntax error: ...`.
 */
export function parseYamlFile(file: string): unknown {
  const text = fs.readFileSync(file, "utf8");
  try {
    return parse(text);
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const at = e.linePos?.[0];
      const where = at ? `:${at.line}:${at.col}` : "";
      const first = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      const shown = path.relative(process.cwd(), file);
      throw new Error(`${shown && !shown.startsWith("..") ? shown : file}${where}: YAML syntax error: ${first}\n  fix the file (nothing was evaluated, created or changed)`);
    }
    throw e;
  }
}

export interface StackConfigFiles {
  project: string;
  /** `<project>:<key>` or `<namespace>:<key>` → value as Pulumi passes it (objects JSON-encoded). */
  config: Record<string, string>;
  /** Keys whose values are secrets. */
  secretKeys: string[];
  /** Keys stored encrypted in the stack file, whose values the caller must supply. */
  encryptedKeys: string[];
}

export function readProjectName(root: string): string {
  const project = parseYamlFile(path.join(root, "Pulumi.yaml")) as { name?: unknown };
  if (typeof project?.name !== "string") throw new Error(`${path.join(root, "Pulumi.yaml")} has no project name`);
  return project.name;
}

/** The two files of a stack, parsed (read once per start: see `stackConfigOf`). */
export interface StackFiles {
  projectFile: { name: string; config?: Record<string, unknown> };
  stackFile: { config?: Record<string, unknown> };
}

/** Parses Pulumi.yaml and Pulumi.<stack>.yaml of the project at `root` (a missing stack file is empty). */
export function readStackFiles(root: string, stack: string): StackFiles {
  const projectFile = parseYamlFile(path.join(root, "Pulumi.yaml")) as StackFiles["projectFile"];
  const stackPath = path.join(root, `Pulumi.${checkStackName(stack)}.yaml`);
  const stackFile = fs.existsSync(stackPath) ? ((parseYamlFile(stackPath) ?? {}) as StackFiles["stackFile"]) : {};
  return { projectFile, stackFile };
}

/**
 * Reads Pulumi.yaml and Pulumi.<stack>.yaml of the project at `root`.
 * `extra.secrets` gives values for encrypted keys and for secret keys the files do not hold
 * (`pulumi config set --secret`); `extra.plain` adds or replaces plain keys (`pulumi config set`).
 * Keys may be given with or without the project prefix.
 */
export function readStackConfig(
  root: string,
  stack: string,
  extra: { secrets?: Record<string, string>; plain?: Record<string, string> } = {},
): StackConfigFiles {
  return stackConfigOf(readStackFiles(root, stack), extra);
}

/** The configuration of already parsed stack files (see `readStackConfig`). */
export function stackConfigOf(files: StackFiles, extra: { secrets?: Record<string, string>; plain?: Record<string, string> } = {}): StackConfigFiles {
  const secrets = extra.secrets ?? {};
  const { projectFile, stackFile } = files;
  const project = projectFile.name;
  const qualify = (key: string) => (key.includes(":") ? key : `${project}:${key}`);
  const encode = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const encryptedKeys: string[] = [];

  for (const [key, decl] of Object.entries(projectFile.config ?? {})) {
    // Project config is either a plain value or a declaration { value | default, type, ... }.
    const isDecl = typeof decl === "object" && decl !== null && !Array.isArray(decl);
    const value = isDecl ? ((decl as { value?: unknown; default?: unknown }).value ?? (decl as { default?: unknown }).default) : decl;
    if (value !== undefined) config[qualify(key)] = encode(value);
  }

  for (const [key, value] of Object.entries(stackFile.config ?? {})) {
    const full = qualify(key);
    if (typeof value === "object" && value !== null && "secure" in value) {
      encryptedKeys.push(full);
      const given = secrets[full] ?? secrets[full.slice(project.length + 1)];
      if (given !== undefined) {
        config[full] = given;
        secretKeys.push(full);
      }
    } else {
      config[full] = encode(value);
    }
  }
  // Values supplied for keys the files do not hold (secrets set only with `pulumi config set`).
  for (const [key, value] of Object.entries(secrets)) {
    const full = qualify(key);
    if (!(full in config)) {
      config[full] = value;
      secretKeys.push(full);
    }
  }
  for (const [key, value] of Object.entries(extra.plain ?? {})) config[qualify(key)] = value;
  return { project, config, secretKeys, encryptedKeys };
}
