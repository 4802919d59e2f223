#!/usr/bin/env node
/**
 * `workers-stack <command> [options]`: the package's command line. Each command is the script the
 * npm scripts of this repository ran before (same options, messages and exit codes), run on the
 * Pulumi project in the working directory (or the one `--cwd` / `--project` names).
 *
 * A command's module is loaded only when that command runs, so `--help` and a short command do
 * not pay for loading the local runner or the Pulumi SDK.
 */
import { runMain } from "../scripts/cli";

type Main = (args: string[]) => Promise<number | void>;

interface Command {
  summary: string;
  usage: string;
  /** What --help prints below the usage line. */
  details: string[];
  run(args: string[]): void;
}

/** Runs a script's exported main() the way `npm run <script>` ended it: its exit code, or its error's. */
function script(load: () => { main: Main; onMainError?: (e: unknown) => number | undefined }): (args: string[]) => void {
  return (args) => {
    const mod = load();
    runMain(() => mod.main(args), mod.onMainError);
  };
}

/* eslint-disable @typescript-eslint/no-require-imports */
export const COMMANDS: Record<string, Command> = {
  start: {
    summary: "run a stack locally in workerd (Pulumi's mock runtime, no account needed)",
    usage: "workers-stack start [--stack staging] [--project <dir>] [--fresh] [--port 8787] [--state <dir>] [--watch | --no-watch]",
    details: [
      "Evaluates the program for the stack, applies its D1 migrations locally and serves every worker",
      "with exactly the bindings it would get on Cloudflare. Hostnames on --port by Host header.",
      "State: <project>/.workers-stack/local/<stack> (--fresh wipes it). Secrets: .dev.vars.<stack>, .dev.vars.",
      "Runs until Ctrl-C; exits 1 when the configuration is refused or workerd cannot start.",
    ],
    run: (args) => (require("../local/start") as typeof import("../local/start")).run(args),
  },
  validate: {
    summary: "every worker's /health against the declaration",
    usage: "workers-stack validate --stack <name> [--local | --base-url <url>] [--cwd <project dir>]",
    details: [
      "Default: the deployed hostnames (https://<first hostname>/health of each worker).",
      "--local starts the stack in workerd, checks it and stops it; --base-url sends every request",
      "to one address with each worker's hostname in the Host header.",
      "Exits 1 when a worker is unreachable or unhealthy, or a binding is missing, extra or of another type.",
    ],
    run: script(() => require("../scripts/validate") as typeof import("../scripts/validate")),
  },
  smoke: {
    summary: "the HTTP checks of smoke/<stack>.yaml",
    usage: "workers-stack smoke --stack <name> [--local | --base-url <url>] [--file <smoke.yaml>] [--cwd <project dir>]",
    details: ["Exits 1 when a check fails or the smoke file is invalid."],
    run: script(() => require("../scripts/smoke") as typeof import("../scripts/smoke")),
  },
  graph: {
    summary: "Mermaid diagram of a stack",
    usage: "workers-stack graph --stack <name> [--out <file>] [--readme] [--cwd <project dir>]",
    details: ["Prints the diagram, writes it to --out, or replaces the graph block of the project's README.md (--readme)."],
    run: script(() => require("../scripts/graph") as typeof import("../scripts/graph")),
  },
  drift: {
    summary: "pulumi refresh --preview-only --expect-no-changes, with a summary of what drifted",
    usage: "workers-stack drift --stack <name> [--cwd <project dir>] [--verbose]",
    details: ["Needs the Pulumi CLI and the stack's credentials. Exits 1 on drift, 2 on a usage error."],
    run: script(() => require("../scripts/drift") as typeof import("../scripts/drift")),
  },
  promote: {
    summary: "preview, up, validate, smoke staging, then production; each stage a gate",
    usage: "workers-stack promote [--dry-run] [--stage-only | --prod-only] [--skip-smoke] [--attempts 3] [--base-url <url>] [--cwd <project dir>]",
    details: ["Needs the Pulumi CLI and CLOUDFLARE_API_TOKEN (not for --dry-run). Exits 1 when a stage fails, 2 on a usage error."],
    run: script(() => require("../scripts/promote") as typeof import("../scripts/promote")),
  },
  types: {
    summary: "write each worker's env.generated.ts (its Env and /health table) from the declaration",
    usage: "workers-stack types [--check] [--project <dir>]",
    details: [
      "From every stack of the project (Pulumi.yaml with each Pulumi.<stack>.yaml): ENVIRONMENT, VERSION and",
      "every var, secret and binding, typed by kind; a name only some stacks give is optional.",
      "--check writes nothing and exits 1 naming each stale file.",
    ],
    run: (args) => {
      const mod = require("../scripts/types") as typeof import("../scripts/types");
      runMain(() => mod.main(args.includes("--project") ? args : ["--project", process.cwd(), ...args]));
    },
  },
  import: {
    summary: "turn wrangler configs (one per worker, every env a stack) into a workers-stack project",
    usage: "workers-stack import <wrangler.toml|wrangler.json|wrangler.jsonc>... --out <dir> [--top-level-stack production] [--force]",
    details: [
      "Reads each config with wrangler's own reader: every env.* block is a stack, the top level the stack",
      "--top-level-stack names (skipped without it). Writes Pulumi.yaml (the shared declaration),",
      "Pulumi.<stack>.yaml (only what differs; existing D1, KV, R2 and Hyperdrive ids adopted), package.json,",
      "index.ts and tsconfig.json in --out; every physical name is kept as deployed. Prints one line per",
      "thing it could not translate, the ids to find before the first `pulumi up`, and the secrets to set.",
      "Refuses a non-empty --out without --force. Exits 1 when a config has mistakes, 2 on a usage error.",
    ],
    run: script(() => require("./import/main") as typeof import("./import/main")),
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Commands the issue plans that this version does not have yet: named, so nobody looks for them. */
const NOT_YET: string[] = [];

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "usage: workers-stack <command> [options]      (workers-stack <command> --help for its options)",
    "",
    "Runs on the Pulumi project in the working directory (Pulumi.yaml + Pulumi.<stack>.yaml).",
    "",
    "commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    ...(NOT_YET.length ? ["", `not in this version yet: ${NOT_YET.join(", ")}`] : []),
  ].join("\n");
}

export function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  return [`usage: ${c.usage}`, "", `${c.summary}.`, ...c.details].join("\n");
}

/** Dispatches `argv` (the arguments after the program). Returns an exit code when it did not start a command. */
export function dispatch(argv: string[]): number | undefined {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? args[0] : undefined;
    if (topic !== undefined && Object.hasOwn(COMMANDS, topic)) console.log(commandHelp(topic));
    else console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    console.error(`workers-stack: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  // Options end at "--": what follows belongs to the command, even "--help".
  const options = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  if (options.includes("--help") || options.includes("-h")) {
    console.log(commandHelp(name));
    return 0;
  }
  COMMANDS[name]!.run(args);
  return undefined;
}

/** The Node version rule (package.json `engines`), checked before any command loads. */
function nodeTooOld(): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { atLeast, required } = require("../scripts/node.js") as { atLeast(v: string, min: string): boolean; required(): { range: string; min: string } };
  const { range, min } = required();
  if (atLeast(process.versions.node, min)) return undefined;
  return `workers-stack needs Node ${range} (package.json engines); this is Node ${process.versions.node}.\n  fix: install Node 22 or newer (https://nodejs.org) and put it first on PATH`;
}

if (require.main === module) {
  const old = nodeTooOld();
  if (old) {
    console.error(old);
    process.exitCode = 1;
  } else {
    const code = dispatch(process.argv.slice(2));
    if (code !== undefined) process.exitCode = code;
  }
}
