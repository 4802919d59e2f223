/**
 * A stand-in `pulumi` executable for the tests of the scripts that drive the CLI through the
 * Automation API (there is no Pulumi CLI or backend here). It answers what the Automation API asks
 * — its version (3.200: engine events go to an --event-log file), `stack select`, `preview`, `up`,
 * `refresh`, `stack output`, `stack history` — records every argument list, writes the given engine
 * events to the event log, and fails the commands it is told to fail the way the CLI does.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";

const SCRIPT = `#!/usr/bin/env node
const fs = require("fs");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_PULUMI_CALLS, JSON.stringify(args) + "\\n");
const stack = args[args.lastIndexOf("--stack") + 1];
const cmd = args[0] === "stack" ? "stack " + args[1] : args[0];
const failing = (process.env.FAKE_PULUMI_FAIL || "").split(",").filter(Boolean);
if (cmd === "version") { console.log("v3.200.0"); process.exit(0); }
const logAt = args.indexOf("--event-log");
if (logAt >= 0) {
  const events = process.env.FAKE_PULUMI_EVENTS ? fs.readFileSync(process.env.FAKE_PULUMI_EVENTS, "utf8")
    : JSON.stringify({ sequence: 0, timestamp: 0, summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: { same: 3 }, policyPacks: {} } }) + "\\n";
  fs.writeFileSync(args[logAt + 1], events);
}
if (failing.includes(cmd) || failing.includes(cmd + ":" + stack)) {
  console.error(cmd === "refresh" ? "error: no changes were expected but changes were proposed" : "error: " + cmd + " failed on stack " + stack);
  process.exit(255);
}
if (cmd === "stack output") { console.log("{}"); process.exit(0); }
if (cmd === "stack history") {
  const now = new Date().toISOString();
  console.log(JSON.stringify([{ kind: "update", result: "succeeded", message: "", environment: {}, config: {}, startTime: now, endTime: now, version: 1, resourceChanges: { same: 3 } }]));
  process.exit(0);
}
process.exit(0);
`;

export interface FakePulumi {
  /** The folder holding `pulumi`: put it first on PATH. */
  bin: string;
  /** Environment for a child process that should find the fake (and node) first. */
  env(o?: { events?: EngineEvent[]; fail?: string[]; extra?: NodeJS.ProcessEnv }): NodeJS.ProcessEnv;
  /** Every argument list the fake was called with since the last `env()`. */
  calls(): string[][];
  dispose(): void;
}

export function fakePulumi(): FakePulumi {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "ws-fakepulumi-"));
  fs.writeFileSync(path.join(bin, "pulumi"), SCRIPT, { mode: 0o755 });
  const callsFile = path.join(bin, "calls.jsonl");
  const eventsFile = path.join(bin, "events.jsonl");
  return {
    bin,
    env(o = {}) {
      fs.writeFileSync(callsFile, "");
      if (o.events) fs.writeFileSync(eventsFile, o.events.map((e) => JSON.stringify(e)).join("\n") + "\n");
      return {
        ...process.env,
        PATH: [bin, path.dirname(process.execPath), process.env.PATH].join(path.delimiter),
        CLOUDFLARE_API_TOKEN: "test-token",
        FAKE_PULUMI_CALLS: callsFile,
        FAKE_PULUMI_FAIL: (o.fail ?? []).join(","),
        ...(o.events ? { FAKE_PULUMI_EVENTS: eventsFile } : { FAKE_PULUMI_EVENTS: "" }),
        ...o.extra,
      };
    },
    calls() {
      const text = fs.readFileSync(callsFile, "utf8").trim();
      return text ? text.split("\n").map((l) => JSON.parse(l) as string[]) : [];
    },
    dispose() {
      fs.rmSync(bin, { recursive: true, force: true });
    },
  };
}

/** Runs a package.json script (a `ts-node ...` one) the way `npm run <name> -- <args>` does. */
export function scriptCommand(root: string, name: string, args: string[]): string[] {
  const script: string = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).scripts[name];
  // `node scripts/node.js` only picks the Node version (the tests already run on one that fits).
  const [bin, ...rest] = script.replace(/^node scripts\/node\.js\s+/, "").split(/\s+/);
  if (bin !== "ts-node") throw new Error(`scripts.${name} does not run ts-node: ${script}`);
  return [require.resolve("ts-node/dist/bin"), ...rest, ...args];
}
