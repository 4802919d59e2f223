/**
 * The binding-kind registry: one module per kind (config/kinds/) reaches every consumer. A dummy
 * kind written as such a module (tests/dummyKind/dummy.ts) and added to the table with the one line
 * config/kinds/index.ts would hold (tests/dummyKind/child.ts, in its own process so the schema is
 * built with it) reaches the program's inputs, the local runner, the health check and the graph.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";
import { BINDING_KINDS, bindingKinds, declaredKinds, reportedType } from "../config/bindingKinds";
import { className, logicalKey } from "../config/fields";
import { REPORTED_TYPES } from "../config/reportedTypes";
import { startLocal } from "../local/runner";
import { evaluate, evaluateCase, one, referenceSystem, reveal, ROOT, TEST_IDS, TYPES } from "./helpers";

const WORKER = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/dummy") return new Response(String(env.DUMMY));
    const present = typeof env.DUMMY === "string";
    return Response.json({ ok: true, data: { status: "healthy", service: "one", environment: env.ENVIRONMENT, version: env.VERSION,
      bindings: [{ name: "DUMMY", type: "dummy", present, ok: present }] } });
  },
};
`;

describe("binding-kind registry", function () {
  this.timeout(120_000);

  it("has one entry per planned type, each reporting a /health type the workers know", () => {
    for (const [type, kind] of Object.entries(BINDING_KINDS)) assert.equal(kind.type, type);
    const reported = bindingKinds().map((k) => k.reported);
    assert.deepEqual([...new Set(reported)].sort(), [...REPORTED_TYPES].sort());
    assert.equal(reportedType("durable_object_namespace"), "do");
    assert.equal(reportedType("no_such_type"), undefined);
  });

  it("every module of config/kinds/ is one kind of the table, filed under its own type", () => {
    const dir = path.join(ROOT, "config", "kinds");
    const modules = fs.readdirSync(dir).filter((f) => f.endsWith(".ts") && f !== "index.ts" && f !== "contract.ts");
    assert.equal(modules.length, bindingKinds().length, `config/kinds/ holds ${modules.length} kind modules, the table ${bindingKinds().length} kinds`);
    const tabled = new Set<unknown>(bindingKinds());
    for (const f of modules) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = Object.values(require(path.join(dir, f)) as Record<string, unknown>).filter((v) => typeof v === "object" && v !== null && "provider" in v);
      assert.equal(exported.length, 1, `config/kinds/${f} exports one kind`);
      assert.ok(tabled.has(exported[0]), `config/kinds/${f}: its kind is listed in config/kinds/index.ts`);
    }
  });

  it("gives every kind whose target names a key or class of the system a target check in its entry", () => {
    const naming = declaredKinds().filter((k) => {
      const target = k.config.shape[k.config.target];
      const inner = target instanceof z.ZodOptional ? target.unwrap() : target;
      return inner === logicalKey || inner === className;
    });
    assert.deepEqual(naming.map((k) => k.type).sort(), ["d1", "durable_object_namespace", "hyperdrive", "kv_namespace", "queue", "r2_bucket", "service", "workflow"]);
    for (const k of naming) assert.ok(k.config.check || k.config.refers, `${k.type}: its target is checked by its entry (check or refers)`);
  });

  // Each "not declared" check, as its kind's entry makes it: the path, what is wrong, what is declared or the fix.
  const targetCases: { name: string; binding: Record<string, string>; expect: string[] }[] = [
    { name: "a D1 database", binding: { d1: "mian" }, expect: ['system.workers.admin.bindings.X: D1 database "mian" is not declared', "declared databases: main"] },
    { name: "a queue", binding: { queue: "jobs" }, expect: ['system.workers.admin.bindings.X: queue "jobs" is not declared', "declare it under system.queues"] },
    { name: "an R2 bucket", binding: { r2: "files" }, expect: ['system.workers.admin.bindings.X: R2 bucket "files" is not declared', "declare it under system.r2Buckets"] },
    { name: "a hyperdrive", binding: { hyperdrive: "pg" }, expect: ['system.workers.admin.bindings.X: hyperdrive "pg" is not declared', "declare it under system.hyperdrives"] },
    { name: "a service", binding: { service: "bott" }, expect: ['system.workers.admin.bindings.X: worker "bott" is not declared', "declared workers: bot, admin"] },
    { name: "a Durable Object class of this worker", binding: { durableObject: "Room" }, expect: ["system.workers.admin.bindings.X: no worker hosts Durable Object class Room in this worker", "declare it under the hosting worker's durableObjects: Room: { sqlite: true }"] },
    { name: "a Durable Object host", binding: { durableObject: "Room", worker: "ghost" }, expect: ['system.workers.admin.bindings.X: worker "ghost" is not declared', "declared workers: bot, admin"] },
    { name: "a workflow", binding: { workflow: "billing" }, expect: ['system.workers.admin.bindings.X: no worker hosts workflow "billing"', "declare it under the hosting worker's workflows: <key>: { className: ... }"] },
  ];
  it("lets a worker bind itself as a service (wrangler and Cloudflare accept it): its own script name, no deploy edge to itself", async () => {
    const system = referenceSystem();
    system.workers.admin.bindings.SELF = { service: "admin", entrypoint: "Admin" };
    const ev = await evaluate("staging", { system });
    assert.equal(ev.error, undefined, ev.error?.message);
    const admin = one(ev, TYPES.script, "admin");
    const self = ((reveal(admin.inputs) as any).bindings as any[]).find((b) => b.name === "SELF");
    assert.deepEqual(self, { name: "SELF", type: "service", service: (reveal(admin.inputs) as any).scriptName, entrypoint: "Admin" });
    assert.ok(!admin.dependencies.includes(admin.urn), "a script cannot wait for itself");
  });

  it("serves a self-referencing service binding in the local runner (the worker calls its own entrypoint)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workers-stack-self-"));
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "workers-stack-self-state-"));
    fs.writeFileSync(
      path.join(dir, "index.js"),
      `import { WorkerEntrypoint } from "cloudflare:workers";
export class Pinger extends WorkerEntrypoint { ping() { return "pong from " + this.env.ENVIRONMENT; } }
export default { async fetch(request, env) { return new Response(await env.SELF.ping()); } };
`,
    );
    const system = { app: "sf", compatibilityDate: "2025-09-01", workers: { web: { entry: "index.js", bindings: { SELF: { service: "web", entrypoint: "Pinger" } } } } };
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: self\nruntime: nodejs\nconfig:\n  self:system:\n    value: ${JSON.stringify(system)}\n`);
    fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), "config: {}\n");
    const local = await startLocal({ root: dir, stack: "staging", port: 0, stateDir: state, plain: TEST_IDS, log: () => undefined });
    try {
      const res = await fetch(local.workers[0]!.url);
      assert.equal(await res.text(), "pong from staging");
    } finally {
      await local.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(state, { recursive: true, force: true });
    }
  });

  for (const c of targetCases)
    it(`reports ${c.name} that is not declared from the kind's entry, registering nothing`, async () => {
      const ev = await evaluateCase({ name: c.name, system: (s) => (s.workers.admin.bindings.X = c.binding), expect: c.expect });
      assert.ok(ev.error, "the program must fail");
      for (const e of c.expect) assert.ok(ev.error.message.includes(e), `expected "${e}" in:\n${ev.error.message}`);
      assert.deepEqual(ev.resources, []);
    });

  it("a dummy kind added in one place reaches the program's inputs, the local runner, the health check and the graph", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workers-stack-dummy-kind-"));
    try {
      fs.writeFileSync(path.join(dir, "index.js"), WORKER);
      fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        [
          "name: dummy-kind",
          "runtime: nodejs",
          "config:",
          "  dummy-kind:system:",
          "    value:",
          "      app: dk",
          "      zone: example.com",
          '      compatibilityDate: "2025-09-01"',
          "      workers:",
          "        one:",
          "          entry: index.js",
          "          bindings:",
          "            DUMMY: { dummy: hello }",
          "",
        ].join("\n"),
      );
      fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), "config: {}\n");
      const child = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "tests", "dummyKind", "child.ts"), dir, path.join(dir, "state")], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 110_000,
      });
      assert.equal(child.status, 0, child.stderr);
      const out = JSON.parse(child.stdout) as { inputs: { name: string; type: string; text?: string }[]; served: string; rows: { name: string; verdict: string }[]; graph: string; table: Record<string, string> };
      // The program's inputs: the provider binding the kind made from its planned form.
      assert.deepEqual(out.inputs.find((b) => b.name === "DUMMY"), { name: "DUMMY", type: "dummy", text: "hello" });
      // The local runner: the Miniflare option the kind made, as the worker sees it.
      assert.equal(out.served, "dummy:hello");
      assert.equal(out.table.DUMMY, "dummy");
      // The health check: the reported type matches the kind's.
      assert.deepEqual(out.rows.find((r) => r.name === "DUMMY")?.verdict, "ok");
      // The graph: the kind's edge.
      assert.match(out.graph, /worker_one -->\|"DUMMY"\| dummy_hello/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
