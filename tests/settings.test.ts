/**
 * Exposure and script settings (config/scriptSettings.ts): workers.dev and preview URLs per stack,
 * a worker reachable only through service bindings, observability, logpush, tail consumers,
 * placement, limits and the bundler options — their registered inputs under the mock runtime, a
 * second evaluation that registers the same, the validation errors, and what the local runner
 * serves (the tail consumer receives the events, a `define` constant is in the served bundle).
 */
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { evaluateStack, reveal, type Evaluation, type RegisteredResource } from "../harness/evaluate";
import { describeLocal, startLocal, type LocalStack } from "../local/runner";
import { request } from "../checks/http";
import { TEST_IDS, TYPES } from "./helpers";
import { stackGraph } from "../scripts/graph";
import { targetsOf } from "../checks/targets";
import { checkWorker } from "../checks/healthCheck";
import { checkTargets } from "../scripts/smoke";

const SUBDOMAIN = "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain";

const FILES: Record<string, string> = {
  "api.js": `import { flavor } from "some-lib";
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/flavor") return new Response(BUILD_FLAVOR + ":" + flavor());
    if (url.pathname === "/internal") return env.INTERNAL.fetch("https://internal/");
    console.log("api saw " + url.pathname);
    return new Response("api");
  },
};
`,
  "lib/real.js": `export function flavor() { return "aliased-lib"; }\n`,
  "tail.js": `const seen = [];
export default {
  tail(events) { for (const e of events) seen.push({ script: e.scriptName, logs: (e.logs || []).map((l) => l.message.join(" ")) }); },
  fetch() { return Response.json(seen); },
};
`,
  "internal.js": `export default { fetch() { return new Response("internal"); } };\n`,
  "dev.js": `export default { fetch() { return new Response("dev"); } };\n`,
};

/** The system of the test project: every setting on `api`, the others exposed differently. */
function system(): any {
  return {
    app: "st",
    zone: "example.com",
    compatibilityDate: "2025-09-01",
    workers: {
      api: {
        entry: "api.js",
        hostnames: ["api"],
        bindings: { INTERNAL: { service: "internal" } },
        observability: { enabled: true, headSamplingRate: 0.5, logs: { invocationLogs: false }, traces: { enabled: true, headSamplingRate: 0.1 } },
        logpush: true,
        tailConsumers: [{ worker: "tail" }, { script: "outside-tail" }],
        placement: { mode: "smart" },
        limits: { cpuMs: 50_000, subrequests: 500 },
        build: { minify: true, define: { BUILD_FLAVOR: '"blue"' }, alias: { "some-lib": "./lib/real.js" } },
        uploadSourceMaps: true,
      },
      tail: { entry: "tail.js" },
      internal: { entry: "internal.js", workersDev: false },
      dev: { entry: "dev.js", previewUrls: true },
    },
  };
}

function writeProject(dir: string, sys: unknown = system(), production: unknown = { suffix: "", overrides: { workers: { dev: { workersDev: false, previewUrls: false }, api: { placement: { mode: null, region: "aws:us-east-1" } } } } }): void {
  for (const [file, text] of Object.entries(FILES)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  // YAML is a superset of JSON: the declaration is written as JSON.
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: st\nruntime: nodejs\nconfig:\n  st:system:\n    value: ${JSON.stringify(sys)}\n`);
  fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), "config: {}\n");
  fs.writeFileSync(path.join(dir, "Pulumi.production.yaml"), `config:\n  st:stack: ${JSON.stringify(production)}\n`);
}

async function evaluateProject(dir: string, stack: string, plain: Record<string, string> = {}): Promise<Evaluation> {
  const ev = await evaluateStack({ root: dir, stack, plain: { ...TEST_IDS, ...plain } });
  if (ev.error) throw ev.error;
  return ev;
}

const byName = (ev: Evaluation, type: string, name: string): RegisteredResource => {
  const found = ev.resources.filter((r) => r.type === type && r.name === name);
  assert.equal(found.length, 1, `one ${type} named ${name}`);
  return found[0]!;
};
const inputs = (r: RegisteredResource) => reveal(r.inputs) as Record<string, any>;

describe("exposure and script settings", function () {
  this.timeout(180_000);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-settings-"));
    writeProject(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("registers the declared settings as WorkersScript inputs, in the provider's shape", async () => {
    const ev = await evaluateProject(dir, "staging");
    const api = inputs(byName(ev, TYPES.script, "api"));
    assert.deepEqual(api.observability, {
      enabled: true,
      headSamplingRate: 0.5,
      // logs.enabled and logs.invocationLogs are required by the provider: enabled follows the top level.
      logs: { enabled: true, invocationLogs: false },
      traces: { enabled: true, headSamplingRate: 0.1 },
    });
    assert.equal(api.logpush, true);
    assert.deepEqual(api.tailConsumers, [{ service: "st-tail-staging" }, { service: "outside-tail" }]);
    assert.deepEqual(api.placement, { mode: "smart" });
    assert.deepEqual(api.limits, { cpuMs: 50_000, subrequests: 500 });
    // A worker that declares none of them sends none (as wrangler: Cloudflare's defaults apply).
    const tail = inputs(byName(ev, TYPES.script, "tail"));
    for (const key of ["observability", "logpush", "tailConsumers", "placement", "limits", "files"]) assert.equal(tail[key], undefined, `tail.${key}`);
  });

  it("waits for a tail consumer of the system before the worker it tails", async () => {
    const ev = await evaluateProject(dir, "staging");
    const tailUrn = byName(ev, TYPES.script, "tail").urn;
    assert.ok(byName(ev, TYPES.script, "api").dependencies.includes(tailUrn), "api's script depends on tail's");
  });

  it("sets workers.dev and preview URLs per worker as wrangler 4.156 decides, and per stack through overrides", async () => {
    const subdomains = async (stack: string) =>
      Object.fromEntries(
        (await evaluateProject(dir, stack)).resources.filter((r) => r.type === SUBDOMAIN).map((r) => {
          const { enabled, previewsEnabled, scriptName, accountId } = inputs(r);
          assert.equal(accountId, TEST_IDS.accountId);
          return [r.name, { scriptName, enabled, ...(previewsEnabled !== undefined ? { previewsEnabled } : {}) }];
        }),
      );
    assert.deepEqual(await subdomains("staging"), {
      // Routed (a hostname): workers.dev off by default; preview URLs not sent when undeclared.
      api: { scriptName: "st-api-staging", enabled: false },
      // Nothing routes to it: workers.dev on by default.
      tail: { scriptName: "st-tail-staging", enabled: true },
      // workersDev: false and no hostname: reachable only through service bindings.
      internal: { scriptName: "st-internal-staging", enabled: false },
      dev: { scriptName: "st-dev-staging", enabled: true, previewsEnabled: true },
    });
    const production = await subdomains("production");
    assert.deepEqual(production.dev, { scriptName: "st-dev", enabled: false, previewsEnabled: false });
    const ev = await evaluateProject(dir, "production");
    assert.deepEqual(inputs(byName(ev, TYPES.script, "api")).placement, { mode: "targeted", region: "aws:us-east-1" });
  });

  it("builds the bundle with the worker's esbuild options and uploads its source map as a files part", async () => {
    const ev = await evaluateProject(dir, "staging");
    const api = inputs(byName(ev, TYPES.script, "api"));
    const code = fs.readFileSync(path.resolve(process.cwd(), api.contentFile), "utf8");
    assert.match(code, /"blue:"\+/, `define replaced BUILD_FLAVOR (and minify folded it): ${code}`);
    assert.doesNotMatch(code, /BUILD_FLAVOR/);
    assert.match(code, /aliased-lib/, "alias resolved some-lib to lib/real.js");
    assert.ok(code.split("\n").length <= 3, "minified");
    assert.match(code, /,"flavor"\)/, "keepNames defaults to on when minifying, as wrangler's keep_names");
    assert.match(code, /\/\/# sourceMappingURL=worker\.js\.map\s*$/);
    const map = api.files?.["worker.js.map"];
    assert.equal(map?.contentType, "application/source-map");
    const mapBytes = fs.readFileSync(path.resolve(process.cwd(), map.contentFile));
    assert.equal(map.contentSha256, createHash("sha256").update(mapBytes).digest("hex"));
    assert.ok((JSON.parse(mapBytes.toString()).sources as string[]).some((s) => s.endsWith("api.js")), "the map names the source");
    // A worker without build options is bundled as before: not minified, no map.
    const tail = inputs(byName(ev, TYPES.script, "tail"));
    assert.ok(fs.readFileSync(path.resolve(process.cwd(), tail.contentFile), "utf8").split("\n").length > 3);
  });

  it("registers the same inputs on a second evaluation, and a new bundle hash when a build option changes", async () => {
    const snapshot = (ev: Evaluation) => JSON.stringify(ev.resources.map((r) => [r.type, r.name, reveal(r.inputs)]));
    const first = await evaluateProject(dir, "staging");
    const second = await evaluateProject(dir, "staging");
    assert.equal(snapshot(second), snapshot(first));
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "ws-settings-define-"));
    try {
      const sys = system();
      sys.workers.api.build.define.BUILD_FLAVOR = '"green"';
      writeProject(other, sys);
      const changed = await evaluateProject(other, "staging");
      const sha = (ev: Evaluation, w: string) => inputs(byName(ev, TYPES.script, w)).contentSha256;
      assert.notEqual(sha(changed, "api"), sha(first, "api"));
      assert.equal(sha(changed, "tail"), sha(first, "tail"));
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it("tells npm run graph, validate and smoke which workers have no hostname and how they are reached", async () => {
    const ev = await evaluateProject(dir, "staging");
    const graph = stackGraph(ev);
    assert.match(graph, /workersdev_st_tail_staging\(\["workers\.dev<br\/>st-tail-staging\.\*\.workers\.dev"\]\)/);
    assert.match(graph, /workersdev_st_dev_staging -->/);
    assert.doesNotMatch(graph, /workersdev_st_api_staging/, "api is routed: workers.dev off");
    assert.match(graph, /worker_internal\["internal<br\/>st-internal-staging<br\/>no public URL"\]/);
    assert.match(graph, /worker_api -.->\|"tail events"\| worker_tail/);
    assert.match(graph, /worker_api -.->\|"tail events"\| external_outside_tail/);
    const targets = targetsOf(ev, "v", (_s, hosts) => (hosts[0] ? { url: `https://${hosts[0]}` } : {}));
    const exposure = Object.fromEntries(targets.map((t) => [t.key, t.exposure ?? t.url]));
    assert.deepEqual(exposure, { api: "https://api-staging.example.com", tail: "workers.dev", internal: "no public URL", dev: "workers.dev" });
    assert.match((await checkWorker(targets.find((t) => t.key === "internal")!)).skipped ?? "", /no public URL/);
    assert.throws(
      () => checkTargets("smoke/staging.yaml", [{ worker: "tail", method: "GET", path: "/", status: 200 } as never], targets, "staging"),
      /worker "tail" has no URL to check on stack "staging": no hostname: only on workers.dev \(st-tail-staging\.<account subdomain>\.workers\.dev/,
    );
  });

  describe("validation", () => {
    const cases: { name: string; change: (s: any) => void; plan?: "free"; expect: (string | RegExp)[] }[] = [
      { name: "a tail consumer that is not declared", change: (s) => (s.workers.api.tailConsumers = [{ worker: "tial" }]), expect: ["system.workers.api.tailConsumers.0: worker \"tial\" is not declared", "{ script: <its name> }"] },
      {
        name: "a tail consumer absent on the stack (stacks), once",
        change: (s) => (s.workers.tail.stacks = ["production"]),
        expect: ['system.workers.api.tailConsumers.0: is tailed by worker "tail" does not exist on stack staging'],
      },
      { name: "a worker tailing itself", change: (s) => (s.workers.api.tailConsumers = [{ worker: "api" }]), expect: ["system.workers.api.tailConsumers.0: a worker cannot be its own tail consumer"] },
      {
        name: "tail consumers in a cycle",
        change: (s) => (s.workers.tail.tailConsumers = [{ worker: "api" }]),
        expect: [/service, Durable Object or Workflow bindings and tail consumers form a cycle: (api → tail → api|tail → api → tail)/],
      },
      { name: "a sampling rate above 1", change: (s) => (s.workers.api.observability.logs.headSamplingRate = 1.5), expect: ["system.workers.api.observability.logs.headSamplingRate: must be a sampling rate from 0 to 1"] },
      { name: "an unknown observability key", change: (s) => (s.workers.api.observability.sampling = 1), expect: ["system.workers.api.observability.sampling: unknown key"] },
      { name: "CPU beyond the Paid plan's 5 minutes", change: (s) => (s.workers.api.limits.cpuMs = 400_000), expect: ["system.workers.api.limits.cpuMs: 400,000 ms of CPU per invocation; Cloudflare allows at most 300,000 ms on the Workers Paid plan (10 ms on Free)"] },
      { name: "CPU beyond the Free plan's 10 ms", change: (s) => ((s.plan = "free"), (s.workers.api.limits = { cpuMs: 20 })), expect: ["system.workers.api.limits.cpuMs: 20 ms of CPU per invocation; Cloudflare allows at most 10 ms on the Workers Free plan", "need the Workers Paid plan"] },
      { name: "subrequests beyond the plan", change: (s) => (s.workers.api.limits.subrequests = 20_000), expect: ["system.workers.api.limits.subrequests: 20,000 subrequests per invocation; Cloudflare allows at most 10,000 on the Workers Paid plan (50 on Free)"] },
      { name: "a placement region without its provider", change: (s) => (s.workers.api.placement = { region: "us-east-1" }), expect: ["system.workers.api.placement.region: must be <provider>:<region>, e.g. aws:us-east-1"] },
      { name: "two placement targets at once", change: (s) => (s.workers.api.placement = { region: "aws:us-east-1", hostname: "db.example.com" }), expect: ["system.workers.api.placement: must be one of"] },
      { name: "a define value that is not a string", change: (s) => (s.workers.api.build.define.N = 1), expect: ["system.workers.api.build.define.N"] },
      {
        name: "an alias to a file outside the project",
        change: (s) => (s.workers.api.build.alias["some-lib"] = "../outside.js"),
        expect: ['system.workers.api.build.alias.some-lib: "../outside.js" leaves the project root', "point the alias at a file inside the project"],
      },
      {
        name: "a define value esbuild cannot read, at its own path (not as a bundle error)",
        change: (s) => (s.workers.api.build.define.BUILD_FLAVOR = "blue sky"),
        expect: ['system.workers.api.build.define.BUILD_FLAVOR: "blue sky" is not a value esbuild can put in place of BUILD_FLAVOR', "'\"blue\"'"],
      },
    ];
    for (const c of cases) {
      it(`rejects ${c.name}, registering nothing`, async () => {
        const other = fs.mkdtempSync(path.join(os.tmpdir(), "ws-settings-invalid-"));
        try {
          const sys = system();
          c.change(sys);
          writeProject(other, sys);
          await assert.rejects(evaluateProject(other, "staging"), (e: Error) => {
            assert.doesNotMatch(e.message, /does not bundle/, "a settings mistake is not reported as a bundle error");
            assert.doesNotMatch(e.message, /worker "tail" is not declared/, "an absent worker is not reported as undeclared too");
            for (const text of c.expect) typeof text === "string" ? assert.ok(e.message.includes(text), `${e.message}\n---\nmissing: ${text}`) : assert.match(e.message, text);
            return true;
          });
        } finally {
          fs.rmSync(other, { recursive: true, force: true });
        }
      });
    }
  });

  describe("in the local runner", () => {
    let local: LocalStack;
    let state: string;
    const notices: string[] = [];
    before(async () => {
      state = fs.mkdtempSync(path.join(os.tmpdir(), "ws-settings-local-"));
      local = await startLocal({ root: dir, stack: "staging", port: 0, stateDir: state, fresh: true, log: (l) => notices.push(l) });
    });
    after(async () => {
      await local?.dispose();
      fs.rmSync(state, { recursive: true, force: true });
    });
    const worker = (key: string) => local.workers.find((w) => w.key === key)!;

    it("serves the bundle built with the worker's options (define, alias)", async () => {
      const res = await request(`${worker("api").url}/flavor`);
      assert.equal(res.body, "blue:aliased-lib");
    });

    it("delivers the worker's tail events to its tail consumer in the stack", async () => {
      assert.equal((await request(`${local.url}/hello`, { host: "api-staging.example.com" })).body, "api");
      let seen: { script: string; logs: string[] }[] = [];
      for (let i = 0; i < 50 && !seen.some((e) => e.logs.includes("api saw /hello")); i++) {
        await new Promise((r) => setTimeout(r, 100));
        seen = JSON.parse((await request(worker("tail").url)).body);
      }
      assert.ok(seen.some((e) => e.logs.includes("api saw /hello")), `tail received api's log line: ${JSON.stringify(seen)}`);
    });

    it("names what it does not emulate: a tail consumer outside the stack, settings only Cloudflare applies", () => {
      assert.ok(notices.some((n) => n.includes("tail consumer outside-tail of st-api-staging is not a worker of this stack")), notices.join("\n"));
      assert.ok(notices.some((n) => /st-api-staging: observability .*logpush.*placement.*limits .* applied by Cloudflare only/.test(n)), notices.join("\n"));
    });

    it("serves a worker reachable only through service bindings to its callers, and says how each worker is reached on Cloudflare", async () => {
      assert.equal((await request(`${worker("api").url}/internal`)).body, "internal");
      const table = describeLocal(local).split("\n");
      const row = (key: string) => table.find((l) => l.startsWith(`${key} `)) ?? "";
      assert.match(row("internal"), /st-internal-staging\s+http:\/\/127\.0\.0\.1:\d+\s+- \(no public URL\)/);
      assert.match(row("tail"), /- \(workers\.dev\)/);
      assert.match(row("api"), /api-staging\.example\.com/);
    });

    it("re-bundles an edited source with the same options (watch mode)", async () => {
      fs.writeFileSync(path.join(dir, "api.js"), FILES["api.js"]!.replace('BUILD_FLAVOR + ":"', 'BUILD_FLAVOR + "!"'));
      try {
        const report = await local.reloadCode(["api"]);
        assert.deepEqual(report.changes, ["api: code"], report.error);
        assert.equal((await request(`${worker("api").url}/flavor`)).body, "blue!aliased-lib");
      } finally {
        fs.writeFileSync(path.join(dir, "api.js"), FILES["api.js"]!);
      }
    });
  });
});
