/**
 * For tests/do-migrations.test.ts: a fake of the two Cloudflare endpoints a Durable Object migration
 * touches (it enforces the tag precondition, code 10079), a small project with one worker hosting
 * Durable Objects, and `pulumi up` as the engine does it against the fake.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { parseMigrations, stableJson } from "../../components/doMigrations";
import { evaluate, one, reveal, TYPES } from "../helpers";

export const ACCOUNT = "0123456789abcdef0123456789abcdef";
export const TOKEN = "test-token-not-a-secret";

// ---------------------------------------------------------------------------------------------
// A fake of the two Cloudflare endpoints a DO migration touches.

export interface FakeScript {
  tag?: string;
  /** Class → storage. */
  classes: Map<string, "sqlite" | "kv">;
  uploads: number;
}

export interface ApiMigrations {
  old_tag?: string;
  new_tag?: string;
  steps?: {
    new_classes?: string[];
    new_sqlite_classes?: string[];
    renamed_classes?: { from: string; to: string }[];
    deleted_classes?: string[];
    transferred_classes?: { from: string; from_script: string; to: string }[];
  }[];
  // The single-step form main sent.
  new_classes?: string[];
  new_sqlite_classes?: string[];
}

export class FakeCloudflare {
  readonly scripts = new Map<string, FakeScript>();
  readonly reads: string[] = [];
  private server!: http.Server;
  base = "";

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const reply = (status: number, json: unknown) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(json));
        };
        if (req.headers.authorization !== `Bearer ${TOKEN}`) return reply(403, { success: false, errors: [{ code: 10000, message: "Authentication error" }] });
        const m = /^\/client\/v4\/accounts\/([^/]+)\/workers\/(services|scripts)\/([^/]+)$/.exec(req.url ?? "");
        if (!m || m[1] !== ACCOUNT) return reply(404, { success: false, errors: [{ code: 7003, message: "Could not route" }] });
        const name = decodeURIComponent(m[3]!);
        if (m[2] === "services" && req.method === "GET") {
          this.reads.push(name);
          const s = this.scripts.get(name);
          if (!s) return reply(404, { success: false, errors: [{ code: 10007, message: "This Worker does not exist on your account." }] });
          return reply(200, { success: true, errors: [], result: { id: name, default_environment: { environment: "production", script: { id: name, ...(s.tag ? { migration_tag: s.tag } : {}) } } } });
        }
        if (m[2] === "scripts" && req.method === "PUT") {
          const metadata = JSON.parse(body) as { migrations?: ApiMigrations; bindings: { type: string; name: string; class_name?: string; script_name?: string }[] };
          const error = this.upload(name, metadata);
          return error ? reply(400, { success: false, errors: [error] }) : reply(200, { success: true, errors: [], result: { id: name } });
        }
        reply(405, { success: false, errors: [{ code: 10405, message: "method not allowed" }] });
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/client/v4`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Cloudflare's rules for a script upload with migrations; returns the API error, if any. */
  private upload(name: string, md: { migrations?: ApiMigrations; bindings: { type: string; name: string; class_name?: string; script_name?: string }[] }) {
    const current = this.scripts.get(name);
    const next: FakeScript = { classes: new Map(current?.classes ?? []), uploads: (current?.uploads ?? 0) + 1, ...(current?.tag ? { tag: current.tag } : {}) };
    const mig = md.migrations;
    if (mig) {
      // "Tag used to verify against the latest migration tag for this Worker. If they don't match, the upload is rejected."
      if ((mig.old_tag ?? undefined) !== (current?.tag ?? undefined))
        return { code: 10079, message: `Migration tag precondition failed; current tag is ${current?.tag ? `'${current.tag}'` : "empty"}` };
      const steps = mig.steps ?? [{ ...(mig.new_classes ? { new_classes: mig.new_classes } : {}), ...(mig.new_sqlite_classes ? { new_sqlite_classes: mig.new_sqlite_classes } : {}) }];
      for (const s of steps) {
        for (const [list, storage] of [[s.new_sqlite_classes, "sqlite"], [s.new_classes, "kv"]] as const)
          for (const c of list ?? []) {
            if (next.classes.has(c)) return { code: 10074, message: `Cannot create class ${c}: it already exists` };
            next.classes.set(c, storage);
          }
        for (const r of s.renamed_classes ?? []) {
          const storage = next.classes.get(r.from);
          if (!storage) return { code: 10074, message: `Cannot rename class ${r.from}: it does not exist` };
          next.classes.delete(r.from);
          next.classes.set(r.to, storage);
        }
        for (const c of s.deleted_classes ?? []) {
          if (!next.classes.delete(c)) return { code: 10074, message: `Cannot delete class ${c}: it does not exist` };
        }
      }
      if (mig.new_tag) next.tag = mig.new_tag;
    }
    for (const b of md.bindings)
      if (b.type === "durable_object_namespace" && !b.script_name && !next.classes.has(b.class_name!))
        return { code: 10061, message: `Cannot apply binding ${b.name}: class ${b.class_name} is not configured to implement Durable Objects (did you forget a migration?)` };
    this.scripts.set(name, next);
    return undefined;
  }
}

/** The provider's camelCase `migrations` as the API's snake_case metadata. */
export function toApi(m: Record<string, any> | undefined): ApiMigrations | undefined {
  if (!m) return undefined;
  const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const conv = (v: any): any => (Array.isArray(v) ? v.map(conv) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [snake(k), conv(x)])) : v);
  return conv(m);
}

// ---------------------------------------------------------------------------------------------
// A small project with one worker hosting Durable Objects, and `pulumi up` as the engine does it.

export const PROJECT = "dotest";

export function writeProject(dir: string, worker: Record<string, unknown>, code: string): void {
  fs.mkdirSync(path.join(dir, "workers", "api"), { recursive: true });
  fs.writeFileSync(path.join(dir, "workers", "api", "index.ts"), code);
  const system = { app: "do", zone: "example.com", compatibilityDate: "2025-09-01", workers: { api: { entry: "workers/api/index.ts", ...worker } } };
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\nconfig:\n  ${PROJECT}:system:\n    value: ${JSON.stringify(system)}\n`);
  fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), `config:\n  ${PROJECT}:stack:\n    suffix: -staging\n`);
}

export interface UpState {
  commandKey: string;
  stdout: string;
  scriptKey: string;
}

/**
 * One `pulumi up` of the project against the fake: the program is evaluated; the migrations
 * command runs (as the engine runs it: `interpreter` + `create`, no shell) when it is new or its
 * inputs changed, else keeps its old stdout; the script is uploaded when any of its inputs changed.
 */
export async function up(dir: string, fake: FakeCloudflare, prev?: UpState, o: { readLiveTags?: boolean; forceUpload?: boolean } = {}): Promise<{ state: UpState; uploaded: boolean; migrations: unknown }> {
  // With readLiveTags the program reads the live tag while it runs, as under the real engine.
  const saved = { ...process.env };
  if (o.readLiveTags) Object.assign(process.env, { WORKERS_STACK_READ_LIVE_TAGS: "1", CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_API_BASE_URL: fake.base });
  const ev = await evaluate("staging", { root: dir, secrets: {} }).finally(() => {
    for (const k of ["WORKERS_STACK_READ_LIVE_TAGS", "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_BASE_URL"]) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });
  assert.equal(ev.error, undefined, ev.error?.message);
  const cmd = reveal(one(ev, TYPES.command, "api-do-migrations").inputs) as { interpreter: string[]; create: string; triggers: unknown[] };
  const commandKey = stableJson({ create: cmd.create, interpreter: cmd.interpreter, triggers: cmd.triggers });
  let stdout = prev?.stdout ?? "";
  if (!prev || prev.commandKey !== commandKey) {
    const [program, ...args] = cmd.interpreter;
    assert.equal(program, "node");
    // Asynchronously: the fake API answers from this process's event loop.
    const r = await runNode([...args, cmd.create], { ...process.env, CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_API_BASE_URL: fake.base });
    if (r.status !== 0) throw new Error(r.stderr);
    stdout = r.stdout;
  }
  const { migrations: _underMocks, ...script } = reveal(one(ev, TYPES.script, "api").inputs) as Record<string, any>;
  const migrations = parseMigrations(stdout);
  const scriptKey = stableJson({ ...script, migrations });
  const state = { commandKey, stdout, scriptKey };
  // forceUpload: a re-upload no declared change causes (refresh found drift, `up --target`).
  if (prev && prev.scriptKey === scriptKey && !o.forceUpload) return { state, uploaded: false, migrations };
  const res = await fetch(`${fake.base}/accounts/${ACCOUNT}/workers/scripts/${script.scriptName}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ bindings: toApi(script.bindings as any), ...(migrations ? { migrations: toApi(migrations as any) } : {}) }),
  });
  const body = (await res.json()) as { success: boolean; errors: { code: number; message: string }[] };
  if (!body.success) throw new Error(`upload refused: ${body.errors.map((e) => `${e.message} [code: ${e.code}]`).join("; ")}`);
  return { state, uploaded: true, migrations };
}

export function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

export const CODE = (n: number, classes: string[]) =>
  `${classes.map((c) => `export class ${c} { fetch() { return new Response("${c}"); } }`).join("\n")}\nexport default { fetch() { return new Response("v${n}"); } };\n`;

