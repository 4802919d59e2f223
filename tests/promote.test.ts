/**
 * `npm run promote`: the stages as data and the gating logic, run with fake stage functions; and
 * the real runners end to end through the Automation API with a stand-in `pulumi`.
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { formatReport, planStages, promote, runStages, StageKind, StageOutcome, StageRunners, UsageError, withRetries } from "../scripts/promote";
import { fakePulumi, FakePulumi, scriptCommand } from "./fakePulumi";
import { ROOT } from "./helpers";

/** Fake stage functions: record every call as "kind:stack", fail the ones named in `failing`. */
function fakes(failing: string[] = [], throwing: string[] = []) {
  const calls: string[] = [];
  const runner = (kind: StageKind) => async (stack: string): Promise<StageOutcome> => {
    const id = `${kind}:${stack}`;
    calls.push(id);
    if (throwing.includes(id)) throw new Error(`${id} exploded`);
    return failing.includes(id) ? { ok: false, detail: `${id} failed` } : { ok: true, detail: `${id} ok` };
  };
  const runners: StageRunners = { preview: runner("preview"), up: runner("up"), validate: runner("validate"), smoke: runner("smoke") };
  return { calls, runners };
}

const quiet = () => undefined;
const ids = (flags: Parameters<typeof planStages>[0]) => planStages(flags).map((s) => `${s.kind}:${s.stack}`);

describe("npm run promote: the plan", () => {
  it("is preview, up, validate, smoke of staging, then the same for production", () => {
    assert.deepEqual(ids({}), [
      "preview:staging",
      "up:staging",
      "validate:staging",
      "smoke:staging",
      "preview:production",
      "up:production",
      "validate:production",
      "smoke:production",
    ]);
  });

  it("--stage-only, --prod-only and --skip-smoke select stages as in seed 004", () => {
    assert.deepEqual(ids({ stageOnly: true }), ["preview:staging", "up:staging", "validate:staging", "smoke:staging"]);
    assert.deepEqual(ids({ prodOnly: true }), ["preview:production", "up:production", "validate:production", "smoke:production"]);
    assert.deepEqual(ids({ skipSmoke: true }), ["preview:staging", "up:staging", "validate:staging", "preview:production", "up:production", "validate:production"]);
    assert.throws(() => planStages({ stageOnly: true, prodOnly: true }), UsageError);
  });
});

describe("npm run promote: each stage is a gate", () => {
  it("runs every stage in order when all pass", async () => {
    const f = fakes();
    const report = await runStages(planStages(), f.runners, quiet);
    assert.equal(report.ok, true);
    assert.deepEqual(f.calls, ids({}));
    assert.ok(report.stages.every((s) => s.status === "passed"));
  });

  for (const failing of ["preview:staging", "up:staging", "validate:staging", "smoke:staging"]) {
    it(`a failing ${failing} never reaches production, and the report names it`, async () => {
      const f = fakes([failing]);
      const report = await runStages(planStages(), f.runners, quiet);
      assert.equal(report.ok, false);
      assert.equal(`${report.failed!.kind}:${report.failed!.stack}`, failing);
      assert.equal(f.calls.at(-1), failing, "nothing runs after the failing stage");
      assert.ok(!f.calls.some((c) => c.endsWith(":production")), f.calls.join(" "));
      const at = ids({}).indexOf(failing);
      assert.deepEqual(report.stages.map((s) => s.status), ids({}).map((_, i) => (i < at ? "passed" : i === at ? "failed" : "not run")));
      assert.match(formatReport(report), new RegExp(`Promotion FAILED at stage ${at + 1}: ${report.failed!.title}\\.`));
    });
  }

  it("a stage that throws fails like one that reports failure", async () => {
    const f = fakes([], ["up:production"]);
    const report = await runStages(planStages(), f.runners, quiet);
    assert.equal(report.ok, false);
    assert.equal(report.failed!.title, "Deploy production");
    assert.match(report.stages[5]!.detail!, /up:production exploded/);
    assert.deepEqual(f.calls, ids({}).slice(0, 6));
  });

  it("--stage-only never touches production", async () => {
    const f = fakes();
    await runStages(planStages({ stageOnly: true }), f.runners, quiet);
    assert.deepEqual(f.calls, ["preview:staging", "up:staging", "validate:staging", "smoke:staging"]);
  });

  it("--prod-only skips staging", async () => {
    const f = fakes();
    await runStages(planStages({ prodOnly: true }), f.runners, quiet);
    assert.ok(f.calls.length === 4 && f.calls.every((c) => c.endsWith(":production")), f.calls.join(" "));
  });

  it("--skip-smoke skips only the smoke stages", async () => {
    const f = fakes();
    await runStages(planStages({ skipSmoke: true }), f.runners, quiet);
    assert.ok(!f.calls.some((c) => c.startsWith("smoke:")));
    assert.deepEqual(f.calls.filter((c) => c.startsWith("validate:")), ["validate:staging", "validate:production"]);
  });

  it("--dry-run prints the plan and calls nothing", async () => {
    const lines: string[] = [];
    let built = 0;
    const report = await promote({ dryRun: true }, () => (built++, fakes().runners), (l) => lines.push(l));
    assert.equal(report, undefined);
    assert.equal(built, 0, "the runners are not even created");
    const text = lines.join("\n");
    for (const title of planStages().map((s) => s.title)) assert.ok(text.includes(title), title);
    assert.match(text, /Dry run: nothing was run/);
  });

  it("retries validation and smoke a few times (a fresh hostname can take a moment), then gives up", async () => {
    let n = 0;
    const slept: number[] = [];
    const sleep = async (ms: number) => void slept.push(ms);
    const flaky = await withRetries(async () => ({ ok: ++n >= 3, detail: `try ${n}` }), { attempts: 3, delayMs: 5, sleep });
    assert.deepEqual([flaky, n, slept], [{ ok: true, detail: "try 3" }, 3, [5, 5]]);
    n = 0;
    const broken = await withRetries(async () => ({ ok: false, detail: `try ${++n}` }), { attempts: 2, delayMs: 5, sleep });
    assert.deepEqual([broken, n], [{ ok: false, detail: "try 2" }, 2]);
  });
});

describe("npm run promote from the command line", function () {
  this.timeout(90_000);
  let fake: FakePulumi;
  before(() => (fake = fakePulumi()));
  after(() => fake.dispose());

  /** Like `cli`, without blocking this process (a test's own server must answer meanwhile). */
  const cliAsync = (args: string[], env: NodeJS.ProcessEnv) =>
    new Promise<{ status: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, scriptCommand(ROOT, "promote", args), { cwd: ROOT, env });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      child.on("close", (status) => resolve({ status, out }));
    });
  const cli = (args: string[], env: NodeJS.ProcessEnv) => {
    const r = spawnSync(process.execPath, scriptCommand(ROOT, "promote", args), { cwd: ROOT, encoding: "utf8", env });
    return { status: r.status, out: r.stdout + r.stderr };
  };

  it("--dry-run needs no Pulumi CLI and prints the eight stages", () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "ws-nopulumi-"));
    try {
      fs.symlinkSync(process.execPath, path.join(bin, "node"));
      const r = cli(["--dry-run"], { PATH: bin, HOME: os.tmpdir() });
      assert.equal(r.status, 0, r.out);
      assert.equal((r.out.match(/^\s+\d\. /gm) ?? []).length, 8, r.out);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it("exits 2 on --stage-only with --prod-only, and without a Pulumi CLI", () => {
    const both = cli(["--stage-only", "--prod-only"], process.env);
    assert.equal(both.status, 2, both.out);
    assert.match(both.out, /exclude each other/);
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "ws-nopulumi-"));
    try {
      fs.symlinkSync(process.execPath, path.join(bin, "node"));
      const r = cli([], { PATH: bin, HOME: os.tmpdir() });
      assert.equal(r.status, 2, r.out);
      assert.ok(r.out.includes("curl -fsSL https://get.pulumi.com | sh"), r.out);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it("a failing `pulumi up` on staging stops the promotion there: exit 1, production never previewed or deployed", () => {
    const r = cli(["--attempts", "1"], fake.env({ fail: ["up:staging"] }));
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /Promotion FAILED at stage 2: Deploy staging\./);
    const commands = fake.calls().filter((a) => a[0] === "preview" || a[0] === "up");
    assert.deepEqual(commands.map((a) => `${a[0]}:${a[a.lastIndexOf("--stack") + 1]}`), ["preview:staging", "up:staging"]);
    assert.ok(!fake.calls().some((a) => a.includes("production")), "no command names production");
  });

  it("after a successful up, a failing validation stops the promotion before smoke", async () => {
    // The deployed workers, as a local server whose /health reports itself unhealthy (no DNS involved).
    const hosts: string[] = [];
    const server = http.createServer((req, res) => {
      hosts.push(`${req.headers.host} ${req.url}`);
      res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ ok: false, error: "unhealthy" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await cliAsync(["--stage-only", "--attempts", "1", "--base-url", base], fake.env());
      assert.equal(r.status, 1, r.out);
      assert.match(r.out, /ok\s+2\. Deploy staging \(\d+\.\d s\): succeeded: same 3/);
      assert.match(r.out, /Promotion FAILED at stage 3: Validate staging\./);
      assert.match(r.out, /--\s+4\. Smoke staging/);
      assert.deepEqual(hosts.sort(), ["admin-staging.example.com /health", "bot-staging.example.com /health"], "validation asked the stand-in, by Host header");
    } finally {
      server.close();
    }
  });

  it("--prod-only goes straight to production's preview and up", () => {
    const r = cli(["--prod-only", "--attempts", "1"], fake.env({ fail: ["up:production"] }));
    assert.equal(r.status, 1, r.out);
    const stacks = fake.calls().filter((a) => a[0] === "preview" || a[0] === "up").map((a) => a[a.lastIndexOf("--stack") + 1]);
    assert.deepEqual(stacks, ["production", "production"]);
    assert.match(r.out, /Promotion FAILED at stage 2: Deploy production\./);
  });
});
