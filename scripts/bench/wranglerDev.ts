/**
 * The way the seed teams ran their workers locally: one `wrangler dev` per worker, each with its
 * own wrangler config. Written here from the very resources the program registers (so both sides
 * serve the same bundles with the same bindings), started all at once, timed until every worker
 * answers /health 200.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Evaluation, RegisteredResource, reveal } from "../../local/evaluate";
import { httpGet } from "../../local/healthCheck";

const SCRIPT = "cloudflare:index/workersScript:WorkersScript";
const QUEUE = "cloudflare:index/queue:Queue";
const CONSUMER = "cloudflare:index/queueConsumer:QueueConsumer";

type Binding = Record<string, string>;

/** A wrangler config (JSON) and a .dev.vars for one registered WorkersScript. */
export function wranglerConfigFor(script: RegisteredResource, all: RegisteredResource[]): { config: Record<string, unknown>; devVars: string } {
  const inputs = reveal(script.inputs) as Record<string, any>;
  const vars: Record<string, unknown> = {};
  const secrets: string[] = [];
  const config: Record<string, any> = {
    name: inputs.scriptName,
    main: path.resolve(process.cwd(), inputs.contentFile),
    compatibility_date: inputs.compatibilityDate,
    compatibility_flags: inputs.compatibilityFlags ?? [],
  };
  const push = (key: string, value: unknown) => (config[key] = [...(config[key] ?? []), value]);
  for (const b of (inputs.bindings ?? []) as Binding[]) {
    switch (b.type) {
      case "plain_text":
        vars[b.name!] = b.text;
        break;
      case "json":
        vars[b.name!] = JSON.parse(b.json!);
        break;
      case "secret_text":
        secrets.push(`${b.name}=${b.text}`);
        break;
      case "d1":
        push("d1_databases", { binding: b.name, database_name: `db-${b.id!.slice(0, 8)}`, database_id: b.id });
        break;
      case "kv_namespace":
        push("kv_namespaces", { binding: b.name, id: b.namespaceId });
        break;
      case "service":
        push("services", { binding: b.name, service: b.service, ...(b.entrypoint ? { entrypoint: b.entrypoint } : {}) });
        break;
      case "r2_bucket":
        push("r2_buckets", { binding: b.name, bucket_name: b.bucketName });
        break;
      case "queue":
        config.queues = { ...config.queues, producers: [...(config.queues?.producers ?? []), { binding: b.name, queue: b.queueName }] };
        break;
      case "durable_object_namespace":
        config.durable_objects = { bindings: [...(config.durable_objects?.bindings ?? []), { name: b.name, class_name: b.className, ...(b.scriptName ? { script_name: b.scriptName } : {}) }] };
        break;
      case "workflow":
        push("workflows", { binding: b.name, name: b.workflowName, class_name: b.className, ...(b.scriptName ? { script_name: b.scriptName } : {}) });
        break;
    }
  }
  if (Object.keys(vars).length) config.vars = vars;
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
