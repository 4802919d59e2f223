/**
 * `npm run drift`: the summary built from the engine events of `pulumi refresh --preview-only`,
 * and the exit code and message when the machine has no Pulumi CLI.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import { changedKeys, formatDrift, hasDrift, summarizeDrift } from "../scripts/drift";
import { explainCliError, findOnPath, PreflightError, requireCloudflareToken } from "../scripts/pulumiCli";
import { Evaluation, isSecretValue, reveal } from "../harness/evaluate";
import { fakePulumi, FakePulumi, scriptCommand } from "./fakePulumi";
import { evaluate, one, ROOT, TYPES } from "./helpers";

const PROVIDER = "urn:pulumi:staging::workers-stack::pulumi:providers:cloudflare::default_6_22_1::4b1c0c55-0e41-4f7e-8d0b-0a3c2a8b9f10";

/** A value as the engine shows it in events: every Pulumi secret replaced by "[secret]". */
const mask = (v: unknown): unknown =>
  isSecretValue(v) ? "[secret]" : Array.isArray(v) ? v.map(mask) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mask(x)])) : v;

/** A copy of a script's inputs with the `text` of one secret_text binding replaced, every secret wrapper kept. */
function withSecretText(v: unknown, name: string, text: string): unknown {
  if (isSecretValue(v)) return { ...(v as object), value: withSecretText(v.value, name, text) };
  if (Array.isArray(v)) return v.map((x) => withSecretText(x, name, text));
  if (!v || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  if (o.name === name && o.type === "secret_text") return { ...o, text: isSecretValue(o.text) ? { ...(o.text as object), value: text } : text };
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, withSecretText(x, name, text)]));
}

/**
 * Engine events as the CLI writes them to its event log during `pulumi refresh --preview-only`
 * (the stream the Automation API parses): a prelude, then per resource a pre-event with op
 * `refresh` and an outputs event whose op is the result, then the summary. Resources, URNs and
 * inputs are the real staging stack's (from the mock evaluation); outputs are what the provider
 * would read back, with secrets masked as the engine masks them.
 */
function refreshEvents(ev: Evaluation, results: Record<string, { op: "same" | "update" | "delete"; outputs?: (o: Record<string, unknown>) => Record<string, unknown>; extra?: Partial<StepEventMetadata> }>): EngineEvent[] {
  let seq = 0;
  const ts = 1763800000;
  const events: EngineEvent[] = [{ sequence: seq++, timestamp: ts, preludeEvent: { config: { "workers-stack:accountId": "0123456789abcdef0123456789abcdef" } } }];
  const counts: Record<string, number> = {};
  for (const r of ev.resources) {
    const inputs = mask(r.inputs) as Record<string, unknown>;
    const state = (outputs: Record<string, unknown>) => ({ type: r.type, urn: r.urn, custom: r.custom, id: r.id, parent: r.parent, protect: r.protect, inputs, outputs, provider: r.custom ? PROVIDER : "" });
    const old = state({ ...inputs, ...(r.custom ? { id: r.id } : {}) });
    const result = results[r.urn] ?? { op: "same" as const };
    const base = { urn: r.urn, type: r.type, provider: r.custom ? PROVIDER : "" };
    events.push({ sequence: seq++, timestamp: ts, resourcePreEvent: { metadata: { ...base, op: "refresh", old, new: old }, planning: true } });
    const after = result.op === "delete" ? undefined : result.outputs ? state(result.outputs(old.outputs)) : old;
    events.push({ sequence: seq++, timestamp: ts + 1, resOutputsEvent: { metadata: { ...base, op: result.op, old, ...(after ? { new: after } : {}), ...result.extra }, planning: true } });
    counts[result.op] = (counts[result.op] ?? 0) + 1;
  }
  events.push({ sequence: seq++, timestamp: ts + 2, summaryEvent: { maybeCorrupt: false, durationSeconds: 3, resourceChanges: counts, policyPacks: {} } });
  return events;
}

describe("npm run drift: the summary of a refresh preview", () => {
  let staging: Evaluation;
  let bot: string;
  let botRoute: string;
  before(async () => {
    staging = await evaluate("staging");
    bot = one(staging, TYPES.script, "bot").urn;
    botRoute = one(staging, TYPES.route, "bot-staging.example.com").urn;
  });

  it("reports no drift when every resource reads back the same", () => {
    const s = summarizeDrift(refreshEvents(staging, {}));
    assert.deepEqual(s.items, []);
    assert.equal(hasDrift(s), false);
    assert.equal(s.counts.same, staging.resources.length);
    assert.match(formatDrift("staging", s), new RegExp(`No drift.*\\(${staging.resources.length} resources checked\\)`));
  });

  it("names a worker whose vars were edited in the dashboard and a route deleted there, with URN, type and change", () => {
    const events = refreshEvents(staging, {
      [bot]: { op: "update", outputs: (o) => ({ ...o, bindings: [...(o.bindings as unknown[]), { name: "DEBUG", type: "plain_text", text: "1" }] }) },
      [botRoute]: { op: "delete" },
    });
    const s = summarizeDrift(events);
    assert.equal(hasDrift(s), true);
    assert.deepEqual(
      s.items.map((d) => ({ urn: d.urn, type: d.type, name: d.name, change: d.change, properties: d.properties })),
      [
        { urn: bot, type: TYPES.script, name: "bot", change: "changed", properties: ["bindings"] },
        { urn: botRoute, type: TYPES.route, name: "bot-staging.example.com", change: "deleted", properties: [] },
      ].sort((a, b) => (a.type < b.type ? -1 : 1)),
    );
    assert.deepEqual(s.counts, { same: staging.resources.length - 2, update: 1, delete: 1 });
    const text = formatDrift("staging", s);
    for (const expected of [bot, botRoute, "changed", "deleted outside Pulumi", "bindings", "pulumi up --stack staging"]) assert.ok(text.includes(expected), `${expected} in:\n${text}`);
  });

  it("uses the engine's detailed diff when it sends one (newer CLIs)", () => {
    const s = summarizeDrift(
      refreshEvents(staging, {
        [bot]: {
          op: "update",
          outputs: (o) => ({ ...o, compatibilityDate: "2024-01-01" }),
          extra: { diffs: ["compatibilityDate"], detailedDiff: { compatibilityDate: { diffKind: "update" as never, inputDiff: false } } },
        },
      }),
    );
    assert.deepEqual(s.items.map((d) => [d.name, d.change, d.properties]), [["bot", "changed", ["compatibilityDate"]]]);
  });

  it("a secret_text value changed out of band is invisible: the engine sees the bindings only masked, and the summary shows no secret", () => {
    const inputs = one(staging, TYPES.script, "bot").inputs;
    const deployed = (reveal(inputs) as { bindings: { name: string; text?: string }[] }).bindings.find((b) => b.name === "TELEGRAM_WEBHOOK_SECRET")!.text!;
    const rotated = "rotated-out-of-band-with-wrangler-secret-put";
    // What the worker holds after `wrangler secret put` (had the provider been able to read it back).
    const outOfBand = withSecretText(inputs, "TELEGRAM_WEBHOOK_SECRET", rotated) as Record<string, unknown>;
    assert.notDeepEqual(reveal(outOfBand), reveal(inputs), "the value really differs");
    // The program sends the secret inside a Pulumi secret, so what the engine compares and shows is equal.
    assert.deepEqual(mask(outOfBand), mask(inputs), "a secret_text value is masked wherever the engine shows it");
    const op = JSON.stringify(mask(outOfBand)) === JSON.stringify(mask(inputs)) ? ("same" as const) : ("update" as const);
    const s = summarizeDrift(refreshEvents(staging, { [bot]: { op, outputs: () => mask(outOfBand) as Record<string, unknown> } }));
    assert.equal(hasDrift(s), false);
    const text = formatDrift("staging", s);
    assert.ok(!text.includes(rotated) && !text.includes(deployed), "no secret value in the summary");
  });

  it("reports a resource the refresh could not read, and keeps error diagnostics apart from drift", () => {
    const meta = { op: "refresh" as const, urn: bot, type: TYPES.script, provider: PROVIDER };
    const s = summarizeDrift([
      { sequence: 1, timestamp: 1, resOpFailedEvent: { metadata: meta, status: 1, steps: 1 } },
      {
        sequence: 2,
        timestamp: 1,
        diagnosticEvent: { urn: bot, message: "<{%fg 1%}>error: <{%reset%}>failed to read: Authentication error (10000)\n", color: "raw", severity: "error" },
      },
    ]);
    assert.deepEqual(s.items.map((d) => [d.name, d.change]), [["bot", "unreadable"]]);
    assert.deepEqual(s.errors, ["error: failed to read: Authentication error (10000)"]);
  });

  it("an engine that only reports counts still counts as drift", () => {
    const s = summarizeDrift([{ sequence: 1, timestamp: 1, summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: { same: 3, update: 1 }, policyPacks: {} } }]);
    assert.equal(hasDrift(s), true);
    assert.match(formatDrift("production", s), /DRIFT in stack "production"/);
  });

  describe("end to end through the Automation API, with a stand-in `pulumi` on PATH", function () {
    this.timeout(60_000);
    let fake: FakePulumi;
    before(() => (fake = fakePulumi()));
    after(() => fake.dispose());

    const run = (events: EngineEvent[], fail: string[]) => {
      const r = spawnSync(process.execPath, scriptCommand(ROOT, "drift", ["--stack", "staging"]), { cwd: ROOT, encoding: "utf8", env: fake.env({ events, fail }) });
      return { status: r.status, out: r.stdout + r.stderr, argv: fake.calls() };
    };

    it("exits 1 and prints what drifted when the refresh finds changes", () => {
      const r = run(refreshEvents(staging, { [botRoute]: { op: "delete" } }), ["refresh"]);
      assert.equal(r.status, 1, r.out);
      assert.match(r.out, /DRIFT in stack "staging": 1 resource differs from the last deployment/);
      assert.ok(r.out.includes(botRoute), r.out);
      const refresh = r.argv.find((a) => a[0] === "refresh")!;
      for (const flag of ["--preview-only", "--expect-no-changes"]) assert.ok(refresh.includes(flag), refresh.join(" "));
      assert.equal(refresh[refresh.indexOf("--stack") + 1], "staging");
      assert.ok(r.argv.some((a) => a[0] === "stack" && a[1] === "select" && a.includes("staging")), "selects the stack first");
    });

    it("exits 0 when nothing drifted", () => {
      const r = run(refreshEvents(staging, {}), []);
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, /No drift/);
    });

    it("exits 1 without claiming drift when the refresh fails for another reason", () => {
      const events: EngineEvent[] = [{ sequence: 1, timestamp: 1, diagnosticEvent: { message: "error: failed to read resource: Authentication error (10000)\n", color: "never", severity: "error" } }];
      const r = run(events, ["refresh"]);
      assert.equal(r.status, 1, r.out);
      assert.doesNotMatch(r.out, /DRIFT/);
      assert.match(r.out, /failed before it could compare anything:\n.*Authentication error/);
    });
  });

  it("compares outputs key by key", () => {
    assert.deepEqual(changedKeys({ a: 1, b: [1], c: "x" }, { a: 1, b: [2], d: true }), ["b", "c", "d"]);
  });
});

describe("npm run drift: the machine is not ready", () => {
  it("explains Automation API errors about login and unknown stacks, and leaves others alone", () => {
    const login = explainCliError(new Error("error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions"), "staging");
    assert.ok(login instanceof PreflightError && /pulumi login/.test(login.message));
    const missing = Object.assign(new Error("error: no stack named 'staging' found"), { name: "StackNotFoundError" });
    const stack = explainCliError(missing, "staging");
    assert.ok(stack instanceof PreflightError && /pulumi stack init staging/.test(stack.message));
    const other = new Error("boom");
    assert.equal(explainCliError(other, "staging"), other);
  });

  it("asks for a Cloudflare token unless the environment or the stack file has one", () => {
    assert.throws(() => requireCloudflareToken(ROOT, "staging", {}), (e: unknown) => e instanceof PreflightError && /CLOUDFLARE_API_TOKEN/.test(e.message));
    assert.doesNotThrow(() => requireCloudflareToken(ROOT, "staging", { CLOUDFLARE_API_TOKEN: "x" }));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ws-drift-"));
    try {
      fs.writeFileSync(path.join(tmp, "Pulumi.yaml"), "name: workers-stack\nruntime: nodejs\n");
      fs.writeFileSync(path.join(tmp, "Pulumi.ci.yaml"), "config:\n  cloudflare:apiToken:\n    secure: v1:AAAABBBBCCCC\n");
      assert.doesNotThrow(() => requireCloudflareToken(tmp, "ci", {}));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("`npm run drift -- --stack staging` without a Pulumi CLI on PATH exits 2 and says how to install it", function () {
    this.timeout(60_000);
    // A PATH holding node (and the sh npm runs scripts with) and nothing else: no pulumi, whatever
    // this machine has installed.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "ws-nopulumi-"));
    try {
      fs.symlinkSync(process.execPath, path.join(bin, "node"));
      if (fs.existsSync("/bin/sh")) fs.symlinkSync("/bin/sh", path.join(bin, "sh"));
      assert.equal(findOnPath("pulumi", { PATH: bin }), undefined);
      const npmCli = locateNpmCli();
      const env = { PATH: bin, HOME: os.tmpdir(), CLOUDFLARE_API_TOKEN: "", npm_config_update_notifier: "false" };
      const r = npmCli
        ? spawnSync(process.execPath, [npmCli, "run", "--silent", "drift", "--", "--stack", "staging"], { cwd: ROOT, env, encoding: "utf8" })
        : // No npm found: run exactly what package.json's "drift" script runs.
          spawnSync(process.execPath, scriptCommand(ROOT, "drift", ["--stack", "staging"]), { cwd: ROOT, env, encoding: "utf8" });
      const out = r.stdout + r.stderr;
      assert.equal(r.status, 2, out);
      assert.match(out, /Pulumi CLI is not installed/);
      assert.ok(out.includes("https://www.pulumi.com/docs/install/"), out);
      assert.ok(out.includes("curl -fsSL https://get.pulumi.com | sh"), out);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it("`npm run drift` without --stack prints its usage and exits 2", function () {
    this.timeout(60_000);
    const r = spawnSync(process.execPath, scriptCommand(ROOT, "drift", []), { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /usage: npm run drift -- --stack <name>/);
  });
});

/** npm's own CLI script: the one running these tests, else the one behind `npm` on PATH. */
function locateNpmCli(): string | undefined {
  const fromEnv = process.env.npm_execpath;
  if (fromEnv && fromEnv.endsWith(".js") && fs.existsSync(fromEnv)) return fromEnv;
  const npm = findOnPath("npm");
  if (!npm) return undefined;
  const real = fs.realpathSync(npm);
  return real.endsWith(".js") ? real : undefined;
}
