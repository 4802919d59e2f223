/**
 * The example projects (seeds 003 and 004) on the shared program, both stacks under the mock
 * runtime, plus their invalid variants.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { readDoMigrationsCommand } from "../components/doMigrations";
import { Evaluation } from "../harness/evaluate";
import { startLocal } from "../local/runner";
import { validateStack } from "../scripts/validate";
import { evaluate, one, ofType, referenceSystem, reveal, ROOT, TYPES } from "./helpers";

const TMINUS = path.join(ROOT, "examples", "tminus");
const SIX = path.join(ROOT, "examples", "six-services");
const TMINUS_SECRETS = { GOOGLE_CLIENT_ID: "gid", GOOGLE_CLIENT_SECRET: "gsecret", MS_CLIENT_ID: "mid", MS_CLIENT_SECRET: "msecret" };
const SIX_SECRETS = { CLERK_JWT_SECRET: "clerk", CLERK_WEBHOOK_SECRET: "hook", DATABASE_URL: "postgres://u:p@db/x" };
const T = TYPES;
const bindingsOf = (ev: Evaluation, key: string) => (reveal(one(ev, T.script, key).inputs) as any).bindings as any[];

describe("example: T-Minus (seed 004)", () => {
  const evs: Record<string, Evaluation> = {};
  before(async () => {
    for (const stack of ["staging", "production"]) evs[stack] = await evaluate(stack, { root: TMINUS, secrets: TMINUS_SECRETS });
  });

  for (const stack of ["staging", "production"]) {
    describe(stack, () => {
      const ev = () => evs[stack]!;
      const apiScript = stack === "staging" ? "tminus-api-staging" : "tminus-api-production";

      it("registers nine scripts and everything they need", () => {
        assert.equal(ev().error, undefined, ev().error?.message);
        assert.deepEqual(ofType(ev(), T.script).map((s) => s.name).sort(), ["api", "app-gateway", "cron", "mcp", "oauth", "push", "sync-consumer", "webhook", "write-consumer"]);
        assert.equal(ofType(ev(), T.d1).length, 1);
        assert.equal(ofType(ev(), T.kv).length, 1);
        assert.equal(ofType(ev(), T.queue).length, 6);
        assert.equal(ofType(ev(), T.r2).length, 1);
        assert.equal(ofType(ev(), T.workflow).length, 2);
        assert.deepEqual(ofType(ev(), T.cron).map((c) => reveal(c.inputs)), [{ accountId: "0123456789abcdef0123456789abcdef", scriptName: stack === "staging" ? "tminus-cron-staging" : "tminus-cron-production", schedules: [{ cron: "*/15 * * * *" }] }]);
      });

      it("hosts UserGraphDO and AccountDO on api, with migrations computed from the script's live tag", () => {
        const api = one(ev(), T.script, "api");
        // Under mocks the script is new: its upload carries the whole declared history.
        assert.deepEqual((reveal(api.inputs) as any).migrations, { newTag: "v1", steps: [{ newSqliteClasses: ["AccountDO", "UserGraphDO"] }] });
        // Never a fixed value hidden behind ignoreChanges (Pulumi would re-send it on every update).
        assert.deepEqual(api.ignoreChanges, []);
        const cmd = one(ev(), T.command, "api-do-migrations");
        assert.deepEqual(readDoMigrationsCommand(reveal(cmd.inputs) as Record<string, unknown>), {
          accountId: "0123456789abcdef0123456789abcdef",
          scriptName: apiScript,
          history: [{ tag: "v1", newSqliteClasses: ["AccountDO", "UserGraphDO"] }],
        });
        assert.ok(api.dependencies.includes(cmd.urn), "the upload waits for the migrations computed right before it");
        assert.equal(ofType(ev(), T.command).filter((c) => c.name.endsWith("-do-migrations")).length, 1, "only DO hosts compute migrations");
        assert.equal((reveal(one(ev(), T.script, "mcp").inputs) as any).migrations, undefined);
        assert.deepEqual(bindingsOf(ev(), "api").filter((b) => b.type === "durable_object_namespace"), [
          { name: "ACCOUNT", type: "durable_object_namespace", className: "AccountDO" },
          { name: "USER_GRAPH", type: "durable_object_namespace", className: "UserGraphDO" },
        ]);
      });

      it("names the env-suffixed api script in every cross-worker DO binding, and deploys api first", () => {
        const api = one(ev(), T.script, "api");
        let crossBindings = 0;
        for (const script of ofType(ev(), T.script).filter((s) => s.name !== "api")) {
          const dos = bindingsOf(ev(), script.name).filter((b) => b.type === "durable_object_namespace");
          for (const b of dos) assert.equal(b.scriptName, apiScript, `${script.name}.${b.name}`);
          crossBindings += dos.length;
          if (dos.length) assert.ok(script.dependencies.includes(api.urn), `${script.name} must wait for api`);
        }
        assert.equal(crossBindings, 6); // sync-consumer 2, write-consumer, oauth, cron, push 1 each
      });

      it("puts five proxied CNAMEs on the seed's hostnames", () => {
        const suffix = stack === "staging" ? "-staging" : "";
        const names = ofType(ev(), T.dns).map((d) => (d.inputs as any).name).sort();
        assert.deepEqual(names, ["api", "app", "mcp", "oauth", "webhooks"].map((h) => `${h}${suffix}.tminus.ink`));
        for (const d of ofType(ev(), T.dns)) assert.equal((d.inputs as any).proxied, true);
      });

      it("gives api and oauth the same generated JWT_SECRET and MASTER_KEY", () => {
        for (const secret of ["JWT_SECRET", "MASTER_KEY"]) {
          const value = (key: string) => bindingsOf(ev(), key).find((b) => b.name === secret).text;
          assert.equal(value("api"), value("oauth"));
          assert.match(value("api"), /^[A-Za-z0-9]{48}$/);
          const password = one(ev(), T.password, secret);
          for (const key of ["api", "oauth"]) assert.ok(one(ev(), T.script, key).dependencies.includes(password.urn));
        }
        assert.equal(bindingsOf(ev(), "api").find((b) => b.name === "GOOGLE_CLIENT_SECRET").text, "gsecret");
      });

      it("gives every queue consumer its dead-letter queue and settings", () => {
        const consumers = ofType(ev(), T.consumer).map((c) => reveal(c.inputs) as any);
        assert.equal(consumers.length, 3);
        const s = stack === "staging" ? "-staging" : "-production";
        const byScript = Object.fromEntries(consumers.map((c) => [c.scriptName, c]));
        assert.equal(byScript[`tminus-sync-consumer${s}`].deadLetterQueue, `tminus-sync-dlq${s}`);
        assert.equal(byScript[`tminus-write-consumer${s}`].deadLetterQueue, `tminus-write-dlq${s}`);
        assert.equal(byScript[`tminus-push${s}`].deadLetterQueue, `tminus-push-dlq${s}`);
        assert.deepEqual(byScript[`tminus-sync-consumer${s}`].settings, { batchSize: 10, maxWaitTimeMs: 5000, maxRetries: 5, retryDelay: 30 });
        const queueIds = new Map(ofType(ev(), T.queue).map((q) => [q.id, (q.inputs as any).queueName]));
        assert.equal(queueIds.get(byScript[`tminus-sync-consumer${s}`].queueId), `tminus-sync${s}`);
        for (const c of ofType(ev(), T.consumer)) assert.equal(c.dependencies.length > 0, true);
      });

      it("binds workflows: its own by name, and registers one Workflow per hosting worker", () => {
        assert.deepEqual(ofType(ev(), T.workflow).map((w) => reveal(w.inputs) as any).map((w) => [w.workflowName, w.className]).sort(), [
          [`tminus-onboarding${stack === "staging" ? "-staging" : "-production"}`, "OnboardingWorkflow"],
          [`tminus-reconcile${stack === "staging" ? "-staging" : "-production"}`, "ReconcileWorkflow"],
        ]);
        assert.deepEqual(bindingsOf(ev(), "oauth").find((b) => b.type === "workflow"), {
          name: "ONBOARDING", type: "workflow", workflowName: `tminus-onboarding${stack === "staging" ? "-staging" : "-production"}`, className: "OnboardingWorkflow",
        });
      });

      it("protects stateful resources on production only", () => {
        for (const type of [T.d1, T.kv, T.queue, T.r2]) for (const r of ofType(ev(), type)) assert.equal(r.protect, stack === "production", `${type} ${r.name}`);
      });
    });
  }

  it("keeps staging and production physical names disjoint", () => {
    const names = (ev: Evaluation) => new Set(ev.resources.filter((r) => r.custom && r.type.startsWith("cloudflare:")).flatMap((r) => ["scriptName", "name", "title", "queueName", "workflowName", "pattern"].map((k) => (r.inputs as any)[k]).filter((v) => typeof v === "string")));
    const s = names(evs.staging!);
    const p = names(evs.production!);
    // 9 scripts, D1, KV, 6 queues, R2, 2 workflows, 5 DNS names, 5 route patterns = 30 names, of
    // which the queue "push" and the worker "push" share tminus-push-<stack> (different namespaces).
    assert.equal(s.size, 29, [...s].join(" "));
    assert.deepEqual([...s].filter((n) => p.has(n) && n !== "0123456789abcdef0123456789abcdef"), []);
  });
});

describe("example: six services (seed 003)", () => {
  for (const stack of ["staging", "production"]) {
    it(`${stack}: six scripts with ENVIRONMENT and VERSION, the gateway bound to the four services it names`, async () => {
      const ev = await evaluate(stack, { root: SIX, secrets: SIX_SECRETS });
      assert.equal(ev.error, undefined, ev.error?.message);
      const scripts = ofType(ev, T.script);
      assert.deepEqual(scripts.map((s) => s.name).sort(), ["api-gateway", "auth", "content", "points", "referral", "token"]);
      for (const s of scripts) {
        const b = bindingsOf(ev, s.name);
        assert.deepEqual(b.find((x) => x.name === "ENVIRONMENT"), { name: "ENVIRONMENT", type: "plain_text", text: stack });
        assert.equal(b.find((x) => x.name === "VERSION")?.type, "plain_text");
      }
      const suffix = stack === "staging" ? "-staging" : "";
      const services = bindingsOf(ev, "api-gateway").filter((b) => b.type === "service");
      assert.deepEqual(services, ["AUTH", "CONTENT", "POINTS", "REFERRAL"].map((n) => ({ name: `${n}_SERVICE`, type: "service", service: `svc-${n.toLowerCase()}${suffix}` })));
      const gateway = one(ev, T.script, "api-gateway");
      for (const key of ["auth", "content", "points", "referral"]) assert.ok(gateway.dependencies.includes(one(ev, T.script, key).urn), `gateway waits for ${key}`);
      const shared = scripts.filter((s) => s.name !== "token").map((s) => bindingsOf(ev, s.name).find((b) => b.name === "SERVICE_JWT_SECRET").text);
      assert.equal(new Set(shared).size, 1, "one SERVICE_JWT_SECRET for all");
      assert.equal(bindingsOf(ev, "points").find((b) => b.name === "DATABASE_URL").type, "secret_text");
    });
  }
});

describe("invalid example variants", () => {
  const fails = async (mutate: (s: any) => void, expected: string) => {
    const system = referenceSystem(TMINUS);
    mutate(system);
    const ev = await evaluate("staging", { root: TMINUS, secrets: TMINUS_SECRETS, system });
    assert.ok(ev.error && pulumi.RunError.isInstance(ev.error), "must fail with a RunError");
    assert.ok(ev.error.message.includes(expected), `expected "${expected}" in:\n${ev.error.message}`);
    assert.deepEqual(ev.resources, []);
  };

  it("rejects a DO binding to a class no worker hosts", () =>
    fails((s) => (s.workers.push.bindings.GHOST = { durableObject: "GhostDO", worker: "api" }), 'system.workers.push.bindings.GHOST: no worker hosts Durable Object class GhostDO (worker "api" does not)'));
  it("rejects a DO binding that forgets the hosting worker, naming it", () =>
    fails((s) => delete s.workers.push.bindings.USER_GRAPH.worker, "it is hosted by api: add worker: api"));
  it("rejects a consumer for an undeclared queue", () =>
    fails((s) => s.workers.push.consumers.push({ queue: "notifications" }), 'system.workers.push.consumers.1.queue: consumer for undeclared queue "notifications"'));
  it("rejects a dead-letter-queue cycle", () =>
    fails((s) => (s.queues["sync-dlq"] = { deadLetterQueue: "sync" }), "system.queues: dead-letter queues form a cycle: sync → sync-dlq → sync"));
  it("rejects two consumers of one queue", () =>
    fails((s) => s.workers.push.consumers.push({ queue: "sync" }), 'queue "sync" is already consumed by worker "sync-consumer"'));
  it("rejects a binding to an undeclared workflow", () =>
    fails((s) => (s.workers.api.bindings.FLOW = { workflow: "billing" }), 'system.workers.api.bindings.FLOW: no worker hosts workflow "billing"'));
  it("rejects a cycle through Durable Object bindings", () =>
    fails((s) => (s.workers.api.bindings.PUSHER = { service: "push" }), "bindings form a cycle: api → push → api"));
});

describe("examples in the local runner", function () {
  this.timeout(180_000);
  const quiet = () => undefined;

  for (const [name, root] of [["T-Minus", TMINUS], ["six services", SIX]] as const) {
    it(`${name}: every worker healthy in workerd with every declared binding (npm run validate --local)`, async () => {
      const { ok, report } = await validateStack({ root, stack: "staging", local: true, log: quiet });
      assert.ok(ok, report);
      assert.doesNotMatch(report, /SKIP|FAIL|!!/);
    });
  }

  it("six services: the gateway reaches all four services through its bindings; /health has the seed's flat format", async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "ws-six-"));
    const local = await startLocal({ root: SIX, stack: "staging", port: 0, stateDir: state, log: quiet });
    try {
      const gateway = local.workers.find((w) => w.key === "api-gateway")!;
      const services = await (await fetch(`${gateway.url}/_services`)).json();
      assert.deepEqual(services, { AUTH_SERVICE: 200, CONTENT_SERVICE: 200, REFERRAL_SERVICE: 200, POINTS_SERVICE: 200 });
      const health = (await (await fetch(`${local.workers.find((w) => w.key === "token")!.url}/health`)).json()) as any;
      assert.equal(health.service, "token");
      assert.equal(health.env, "staging");
      assert.equal(health.status, "ok");
      assert.equal(health.version, (local.evaluation.outputs as any).version);
    } finally {
      await local.dispose();
      fs.rmSync(state, { recursive: true, force: true });
    }
  });
});
