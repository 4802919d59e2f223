/**
 * Generated projects for the benchmarks: a Pulumi project root with N workers, each with its own
 * D1 database (and a migrations folder), a KV namespace, two vars, a `{ from: config }` secret, a
 * generated secret and a hostname. Written the way a user would write them (Pulumi.yaml +
 * Pulumi.<stack>.yaml + sources), so the real program evaluates them through the real loading,
 * validation and components.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";

/** The project name of every generated project (config keys are `bench:<key>`). */
export const BENCH_PROJECT = "bench";
/** The stack every generated project is evaluated as. */
export const BENCH_STACK = "bench";

/** One generated worker, as the bare baseline needs it (it reads no config of ours). */
export interface GeneratedWorker {
  key: string;
  /** Project-relative entry module. */
  entry: string;
  /** Project-relative migrations folder of its own database. */
  migrations: string;
  vars: Record<string, unknown>;
  /** Name of its `{ from: config }` secret. */
  configSecret: string;
  /** Name and length of its generated secret. */
  generatedSecret: { name: string; length: number };
  /** Its one hostname label. */
  hostname: string;
}

/** Everything needed to evaluate a generated project, by our program or by the baseline. */
export interface GeneratedProject {
  root: string;
  project: string;
  stack: string;
  app: string;
  zone: string;
  suffix: string;
  compatibilityDate: string;
  accountId: string;
  zoneId: string;
  workers: GeneratedWorker[];
  /** Values of the config secrets (stored encrypted in the stack file, supplied at evaluation). */
  secrets: Record<string, string>;
}

/** The file the generator leaves in the root for child processes (`<root>/bench-project.json`). */
export const PROJECT_FILE = "bench-project.json";

/** Writes a project of `count` workers into the empty folder `root`. */
export function generateProject(root: string, count: number): GeneratedProject {
  const workers: GeneratedWorker[] = [];
  const secrets: Record<string, string> = {};
  for (let i = 1; i <= count; i++) {
    const key = `w${String(i).padStart(4, "0")}`;
    const upper = key.toUpperCase();
    const w: GeneratedWorker = {
      key,
      entry: `workers/${key}/index.ts`,
      migrations: `migrations/${key}`,
      vars: { MODE: i % 2 ? "fast" : "careful", LIMITS: { perMinute: 10 + (i % 7), burst: i % 3 } },
      configSecret: `${upper}_API_KEY`,
      generatedSecret: { name: `${upper}_SIGNING_KEY`, length: 32 },
      hostname: key,
    };
    workers.push(w);
    secrets[w.configSecret] = `bench-config-secret-${key}`;
    write(root, w.entry, workerSource(key));
    write(root, `${w.migrations}/0001_init.sql`, `CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, worker TEXT NOT NULL DEFAULT '${key}', body TEXT);\n`);
  }
  const project: GeneratedProject = {
    root,
    project: BENCH_PROJECT,
    stack: BENCH_STACK,
    app: "bn",
    zone: "bench.example.com",
    suffix: "-bench",
    compatibilityDate: "2025-09-01",
    accountId: "0123456789abcdef0123456789abcdef",
    zoneId: "fedcba9876543210fedcba9876543210",
    workers,
    secrets,
  };

  const system = {
    app: project.app,
    zone: project.zone,
    compatibilityDate: project.compatibilityDate,
    databases: Object.fromEntries(workers.map((w) => [w.key, { migrations: w.migrations }])),
    kvNamespaces: Object.fromEntries(workers.map((w) => [`${w.key}-cache`, {}])),
    secrets: Object.fromEntries(
      workers.flatMap((w) => [
        [w.configSecret, { from: "config" }],
        [w.generatedSecret.name, { generate: { length: w.generatedSecret.length } }],
      ]),
    ),
    workers: Object.fromEntries(
      workers.map((w) => [
        w.key,
        {
          entry: w.entry,
          hostnames: [w.hostname],
          vars: w.vars,
          secrets: [w.configSecret, w.generatedSecret.name],
          bindings: { DB: { d1: w.key }, CACHE: { kv: `${w.key}-cache` } },
        },
      ]),
    ),
  };
  write(root, "Pulumi.yaml", stringify({ name: BENCH_PROJECT, runtime: "nodejs", config: { [`${BENCH_PROJECT}:system`]: { value: system } } }));
  // Config secrets as the CLI stores them: encrypted (the value is supplied at evaluation).
  const stackConfig: Record<string, unknown> = {
    [`${BENCH_PROJECT}:stack`]: { suffix: project.suffix, protect: false },
    [`${BENCH_PROJECT}:accountId`]: project.accountId,
    [`${BENCH_PROJECT}:zoneId`]: project.zoneId,
  };
  for (const w of workers) stackConfig[`${BENCH_PROJECT}:${w.configSecret}`] = { secure: "v1:YmVuY2g=" };
  write(root, `Pulumi.${BENCH_STACK}.yaml`, stringify({ config: stackConfig }));
  write(root, PROJECT_FILE, JSON.stringify(project, null, 2));
  return project;
}

/** Reads back what generateProject wrote into `root`. */
export function readProject(root: string): GeneratedProject {
  return { ...(JSON.parse(fs.readFileSync(path.join(root, PROJECT_FILE), "utf8")) as GeneratedProject), root };
}

/** A small but real worker: it reads its bindings, so the bundle is not empty. */
function workerSource(key: string): string {
  return `interface Env { MODE: string; LIMITS: { perMinute: number }; DB: { prepare(q: string): { all(): Promise<unknown> } }; CACHE: { get(k: string): Promise<string | null> } }

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ ok: true, service: "${key}", mode: env.MODE });
    const cached = await env.CACHE.get(url.pathname);
    const rows = cached ?? JSON.stringify(await env.DB.prepare("SELECT id FROM items LIMIT " + env.LIMITS.perMinute).all());
    return new Response(rows, { headers: { "content-type": "application/json" } });
  },
};
`;
}

function write(root: string, rel: string, text: string): void {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}
