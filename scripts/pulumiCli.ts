/**
 * What `npm run drift` and `npm run promote` check before they drive the Pulumi CLI through the
 * Automation API: the CLI itself, the Cloudflare token and the Pulumi login. A missing one becomes
 * one sentence with the command that fixes it and exit code 2, instead of a stack trace from deep
 * inside the Automation API (which only says `spawn pulumi ENOENT`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { readStackConfig } from "../harness/pulumiConfig";

/** A problem with the machine, not with the stack: the scripts exit 2 on it. */
export class PreflightError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "PreflightError";
  }
}

export const INSTALL_PULUMI = [
  "The Pulumi CLI is not installed (no `pulumi` on PATH). Install it:",
  "  curl -fsSL https://get.pulumi.com | sh      # then open a new shell, or add ~/.pulumi/bin to PATH",
  "  other ways (brew, winget, a fixed version): https://www.pulumi.com/docs/install/",
].join("\n");

/** The first executable `name` on `PATH` (as a shell would find it), or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const exts = process.platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD").split(";") : [""];
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Throws a PreflightError saying how to install the CLI when `pulumi` is not on PATH. */
export function requirePulumiCli(env: NodeJS.ProcessEnv = process.env): string {
  const found = findOnPath("pulumi", env);
  if (!found) throw new PreflightError(INSTALL_PULUMI);
  return found;
}

/**
 * The Cloudflare provider and the migration step read `CLOUDFLARE_API_TOKEN` (or the
 * `cloudflare:apiToken` stack secret). Without either, refresh and up fail on the first resource
 * with a 403 that does not say which token was missing.
 */
export function requireCloudflareToken(root: string, stack: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.CLOUDFLARE_API_TOKEN) return;
  const { config, encryptedKeys } = readStackConfig(root, stack);
  if (config["cloudflare:apiToken"] !== undefined || encryptedKeys.includes("cloudflare:apiToken")) return;
  throw new PreflightError(
    [
      `No Cloudflare API token for stack "${stack}": CLOUDFLARE_API_TOKEN is not set and Pulumi.${stack}.yaml has no cloudflare:apiToken.`,
      "  export CLOUDFLARE_API_TOKEN=<token>     # permissions: docs/operations.md, \"First-time setup\"",
      `  or: pulumi config set --secret cloudflare:apiToken <token> --stack ${stack}`,
    ].join("\n"),
  );
}

/** Turns the Automation API's errors about the machine (login, missing stack, no CLI) into PreflightErrors. */
export function explainCliError(e: unknown, stack: string): unknown {
  const text = e instanceof Error ? e.message : String(e);
  const name = e instanceof Error ? e.name : "";
  if (/ENOENT/.test(text) && /pulumi/.test(text)) return new PreflightError(INSTALL_PULUMI);
  if (/not logged in|PULUMI_ACCESS_TOKEN must be set|pulumi login|Unauthorized: No credentials/i.test(text))
    return new PreflightError(
      [
        "Pulumi is not logged in to a state backend.",
        "  pulumi login                      # Pulumi Cloud (in CI: set PULUMI_ACCESS_TOKEN)",
        "  pulumi login s3://<bucket>        # or any self-managed backend; see docs/operations.md",
      ].join("\n"),
    );
  if (name === "StackNotFoundError" || /no stack named/i.test(text))
    return new PreflightError(`Stack "${stack}" does not exist in this backend. Create it once: pulumi stack init ${stack}   (see docs/operations.md)`);
  return e;
}

/** Selects an existing stack of the project at `root` (its Pulumi.yaml), explaining machine problems. */
export async function selectStack(root: string, stackName: string): Promise<Stack> {
  requirePulumiCli();
  // Loaded here, not at the top: the tests import this file's pure helpers without the CLI.
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
  try {
    return await LocalWorkspace.selectStack({ stackName, workDir: root });
  } catch (e) {
    throw explainCliError(e, stackName);
  }
}

/** Removes ANSI colour codes (engine messages carry them). */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m|<\{%[^%]*%\}>/g, "");
}
