/**
 * The way the seed teams ran their workers locally: one `wrangler dev` per worker, each with its
 * own wrangler config. Written here from the very resources the program registers (so both sides
 * serve the same bundles with the same bindings), started all at once, timed until every worker
 * answers /health 200.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { kindOf, type WranglerConfig } from "../../config/bindingKinds";
import { RESOURCE_TYPE, type RegisteredBinding } from "../../config/resourceTypes";
import { Evaluation, RegisteredResource, reveal } from "../../harness/evaluate";
import { httpGet } from "../../checks/healthCheck";

const SCRIPT = RESOURCE_TYPE.script;
const QUEUE = RESOURCE_TYPE.queue;
const CONSUMER = RESOURCE_TYPE.consumer;

/** A wrangler config (JSON) and a .dev.vars for one registered WorkersScript. */
export function wranglerConfigFor(script: RegisteredResource, all: RegisteredResource[]): { config: Record<string, unknown>; devVars: string } {
  const inputs = reveal(script.inputs) as Record<string, any>;
  const vars: Record<string, unknown> = {};
  const secrets: string[] = [];
  const config: Record<string, any> = {
    name: inputs.scriptName,
    // An assets-only worker has no module (wrangler: no `main`).
    ...(inputs.contentFile !== undefined ? { main: path.resolve(process.cwd(), inputs.contentFile) } : {}),
    compatibility_date: inputs.compatibilityDate,
    compatibility_flags: inputs.compatibilityFlags ?? [],
  };
  const push = (key: string, value: unknown) => (config[key] = [...(config[key] ?? []), value]);
  const into: WranglerConfig = { config, vars, secrets, push };
  for (const b of (inputs.bindings ?? []) as RegisteredBinding[]) kindOf(b.type)?.wrangler(b, into);
  if (Object.keys(vars).length) config.vars = vars;
  if (inputs.assets) {
    // The staged folder the provider uploads, with the registered settings in wrangler's names.
    const c = (inputs.assets.config ?? {}) as Record<string, unknown>;
    config.assets = {
      ...config.assets,
      directory: path.resolve(process.cwd(), String(inputs.assets.directory)),
      ...(c.htmlHandling !== undefined ? { html_handling: c.htmlHandling } : {}),
      ...(c.notFoundHandling !== undefined ? { not_found_handling: c.notFoundHandling } : {}),
      ...(c.runWorkerFirst !== undefined ? { run_worker_first: c.runWorkerFirst } : {}),
      ...(c.basePath !== undefined ? { base_path: c.basePath } : {}),
    };
  }
  // The upload's pending steps (the whole history under mocks) as wrangler's [[migrations]] list.
  const migrations = inputs.migrations as { newTag: string; steps?: Record<string, unknown>[] } | undefined;
  if (migrations?.steps) {
    const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    const last = migrations.steps.length - 1;
    config.migrations = migrations.steps.map((step, i) => ({
      tag: i === last ? migrations.newTag : `${migrations.newTag}-step${i + 1}`,
      ...Object.fromEntries(Object.entries(step).map(([k, v]) => [snake(k), Array.isArray(v) ? v.map((x) => (typeof x === "object" && x ? Object.fromEntries(Object.entries(x).map(([a, b]) => [snake(a), b])) : x)) : v])),
    }));
  }
  const queueNames = new Map(all.filter((r) => r.type === QUEUE).map((q) => [q.id, (q.inputs as { queueName: string }).queueName]));
  for (const c of all.filter((r) => r.type === CONSUMER && (reveal(r.inputs) as any).scriptName === inputs.scriptName)) {
    const ci = reveal(c.inputs) as any;
    config.queues = { ...config.queues, consumers: [...(config.queues?.consumers ?? []), { queue: queueNames.get(ci.queueId), ...(ci.deadLetterQueue ? { dead_letter_queue: ci.deadLetterQueue } : {}) }] };
  }
  return { config, devVars: secrets.join("\n") + (secrets.length ? "\n" : "") };
}

/**
 * Starts one `wrangler dev` per worker of the evaluation (all at once) and returns the seconds until
 * every worker answers /health 200, and the memory of all of them then. Each keeps its state in its
 * own folder, as wrangler does by default: two processes cannot share one local D1 (SQLITE_BUSY),
 * so the bot and admin of the reference stack do not see the same rows this way.
 */
export async function wranglerDevOnce(
  ev: Evaluation,
  dir: string,
  rss: (pid: number) => number,
): Promise<{ seconds: number; rssMiB: number; workers: number }> {
  const wrangler = path.join(path.dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
  const scripts = ev.resources.filter((r) => r.type === SCRIPT);
  const base = 30000 + Math.floor(Math.random() * 10000);
  const started = process.hrtime.bigint();
  const children: ChildProcess[] = [];
  let out = "";
  try {
    scripts.forEach((script, i) => {
      const wd = path.join(dir, script.name);
      fs.mkdirSync(wd, { recursive: true });
      const { config, devVars } = wranglerConfigFor(script, ev.resources);
      fs.writeFileSync(path.join(wd, "wrangler.json"), JSON.stringify(config, null, 2));
      fs.writeFileSync(path.join(wd, ".dev.vars"), devVars);
      const args = [wrangler, "dev", "--config", path.join(wd, "wrangler.json"), "--ip", "127.0.0.1", "--port", String(base + i), "--inspector-port", String(base + 1000 + i), "--persist-to", path.join(wd, "state")];
      const child = spawn(process.execPath, args, { cwd: wd, env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" }, stdio: ["ignore", "pipe", "pipe"] });
      child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
      child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
      children.push(child);
    });
    const deadline = Date.now() + 180_000;
    const urls = scripts.map((_s, i) => `http://127.0.0.1:${base + i}/health`);
    for (;;) {
      if (Date.now() > deadline) throw new Error(`wrangler dev: not all healthy after 180 s:\n${out.slice(-3000)}`);
      const exited = children.find((c) => c.exitCode !== null);
      if (exited) throw new Error(`wrangler dev exited ${exited.exitCode}:\n${out.slice(-3000)}`);
      const codes = await Promise.all(urls.map((u) => httpGet(u, undefined, 5000).then((r) => r.status, () => 0)));
      if (codes.every((c) => c === 200)) {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const total = children.reduce((sum, c) => sum + rss(c.pid!), 0);
        return { seconds, rssMiB: total / 1024 / 1024, workers: scripts.length };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    for (const c of children) c.kill("SIGTERM");
    await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once("exit", r)))));
  }
}
