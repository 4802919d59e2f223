/**
 * `npm run smoke`: the per-stack smoke files, their validation, and the checks run over real HTTP
 * against the staging stack in the local runner (direct URLs, and one address with Host headers).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalStack, startLocal } from "../local/runner";
import { checkTargets, loadSmokeFile, parseSmokeFile, runChecks, SmokeFileError, SmokeTarget } from "../scripts/smoke";
import { targetsOf } from "../scripts/validate";
import { scriptCommand } from "./fakePulumi";
import { evaluate, ROOT } from "./helpers";

const quiet = () => undefined;

function smokeCli(args: string[]) {
  const r = spawnSync(process.execPath, scriptCommand(ROOT, "smoke", args), { cwd: ROOT, encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof SmokeFileError) return e.issues;
    throw e;
  }
  assert.fail("expected a SmokeFileError");
}

describe("smoke files", () => {
  it("reject a wrong file with every problem and its path", () => {
    const issues = problems(() =>
      parseSmokeFile(
        [
          "checks:",
          "  - { worker: bot, path: /health, status: '200' }",
          "  - { worker: Bot, path: health, status: 200, method: FETCH }",
          "  - { worker: admin, path: /x, status: 200, header: { a: b } }",
          "  - { worker: admin, path: /x, status: 999, headers: { a: 1 } }",
        ].join("\n"),
        "smoke/x.yaml",
      ),
    );
    const at = (p: string) => issues.filter((i) => i.startsWith(`${p}:`));
    assert.equal(at("checks[0].status").length, 1, issues.join("\n"));
    assert.equal(at("checks[1].worker").length, 1, issues.join("\n"));
    assert.match(at("checks[1].path")[0]!, /must start with \//);
    assert.equal(at("checks[1].method").length, 1, issues.join("\n"));
    assert.match(at("checks[2]")[0]!, /header/);
    assert.equal(at("checks[3].status").length, 1, issues.join("\n"));
    assert.equal(at("checks[3].headers.a").length, 1, issues.join("\n"));
    assert.equal(issues.length, 7, issues.join("\n"));
  });

  it("reject an empty file, a file without checks and broken YAML, naming the file", () => {
    assert.match(problems(() => parseSmokeFile("", "smoke/a.yaml"))[0]!, /^\(file\): /);
    assert.match(problems(() => parseSmokeFile("checks: []", "smoke/a.yaml"))[0]!, /^checks: declare at least one check/);
    assert.match(problems(() => parseSmokeFile("checks: [ {", "smoke/a.yaml"))[0]!, /not valid YAML/);
    assert.throws(() => loadSmokeFile(ROOT, "nosuchstack"), (e: unknown) => e instanceof SmokeFileError && e.message.startsWith(path.join("smoke", "nosuchstack.yaml")));
  });

  it("fill in the defaults", () => {
    assert.deepEqual(parseSmokeFile("checks: [{ worker: bot, path: /health, status: 200 }]", "f"), [{ worker: "bot", path: "/health", status: 200, method: "GET", headers: {} }]);
  });

  for (const stack of ["staging", "production"]) {
    it(`smoke/${stack}.yaml names only workers of stack ${stack} that have a hostname, and covers every worker`, async () => {
      const { file, checks } = loadSmokeFile(ROOT, stack);
      const ev = await evaluate(stack);
      const targets: SmokeTarget[] = targetsOf(ev, "", (_s, hosts) => (hosts[0] ? { url: `https://${hosts[0]}` } : {}));
      assert.doesNotThrow(() => checkTargets(file, checks, targets, stack));
      assert.deepEqual([...new Set(checks.map((c) => c.worker))].sort(), targets.map((t) => t.key).sort());
    });
  }

  it("reject a check naming an undeclared worker, listing the declared ones", () => {
    const issues = problems(() => checkTargets("f", [{ worker: "bott", path: "/", status: 200, method: "GET", headers: {} }], [{ key: "bot", scriptName: "tg-bot", url: "https://x" }, { key: "admin", scriptName: "tg-admin" }], "staging"));
    assert.deepEqual(issues, ['checks[0].worker: worker "bott" is not declared in stack "staging" (declared: admin, bot)']);
    const noUrl = problems(() => checkTargets("f", [{ worker: "admin", path: "/", status: 200, method: "GET", headers: {} }], [{ key: "admin", scriptName: "tg-admin" }], "staging"));
    assert.match(noUrl[0]!, /no URL/);
  });
});

describe("npm run smoke against the local runner (staging)", function () {
  this.timeout(120_000);
  let state: string;
  let local: LocalStack;
  let direct: SmokeTarget[];

  before(async () => {
    state = fs.mkdtempSync(path.join(os.tmpdir(), "ws-smoke-"));
    local = await startLocal({ root: ROOT, stack: "staging", port: 0, stateDir: state, fresh: true, log: quiet });
    direct = local.workers.map((w) => ({ key: w.key, scriptName: w.scriptName, url: w.url }));
  });
  after(async () => {
    await local?.dispose();
    fs.rmSync(state, { recursive: true, force: true });
  });

  it("passes every check of smoke/staging.yaml, each with the status it declares", async () => {
    const { checks } = loadSmokeFile(ROOT, "staging");
    const results = await runChecks(checks, direct);
    for (const r of results) assert.ok(r.ok, `${r.check.method} ${r.check.worker} ${r.check.path}: ${r.problems.join("; ")}`);
    assert.deepEqual(results.map((r) => r.status), checks.map((c) => c.status));
  });

  it("fails a check expecting 200 on a route that answers 401, and a body fragment that is not there", async () => {
    const checks = parseSmokeFile(
      [
        "checks:",
        "  - { worker: admin, path: /admin/conversations, status: 200 }",
        "  - { worker: bot, path: /health, status: 200, bodyContains: '\"environment\":\"production\"' }",
        "  - { worker: bot, path: /health, status: 200 }",
      ].join("\n"),
      "t",
    );
    const [wrongStatus, wrongBody, fine] = await runChecks(checks, direct);
    assert.deepEqual([wrongStatus!.ok, wrongStatus!.status, wrongStatus!.problems], [false, 401, ["expected 200, got 401"]]);
    assert.deepEqual([wrongBody!.ok, wrongBody!.status], [false, 200]);
    assert.match(wrongBody!.problems[0]!, /body does not contain/);
    assert.equal(fine!.ok, true);
  });

  it("reaches each worker by its hostname with --base-url, and exits 1 naming a failing check", () => {
    const pass = smokeCli(["--stack", "staging", "--base-url", local.url]);
    assert.equal(pass.status, 0, pass.out);
    assert.match(pass.out, /All 5 smoke checks passed/);
    const file = path.join(state, "failing.yaml");
    fs.writeFileSync(file, "checks:\n  - { worker: admin, path: /admin/conversations, status: 200 }\n  - { worker: bot, path: /health, status: 200 }\n");
    const fail = smokeCli(["--stack", "staging", "--base-url", local.url, "--file", file]);
    assert.equal(fail.status, 1, fail.out);
    assert.match(fail.out, /FAIL\s+admin\s+GET \/admin\/conversations\s+401\s+! expected 200, got 401/);
    assert.match(fail.out, /PASS\s+bot\s+GET \/health\s+200/);
    assert.match(fail.out, /1 of 2 smoke checks failed/);
  });

  it("exits 2 on a smoke file naming an undeclared worker", () => {
    const file = path.join(state, "bad.yaml");
    fs.writeFileSync(file, "checks:\n  - { worker: nope, path: /health, status: 200 }\n");
    const r = smokeCli(["--stack", "staging", "--base-url", local.url, "--file", file]);
    assert.equal(r.status, 2, r.out);
    assert.match(r.out, /checks\[0\]\.worker: worker "nope" is not declared in stack "staging" \(declared: admin, bot\)/);
  });
});

describe("npm run smoke -- --stack staging --local", function () {
  this.timeout(120_000);
  it("starts the stack in workerd, passes every check and stops it", () => {
    const r = smokeCli(["--stack", "staging", "--local"]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /against the local runner/);
    assert.equal((r.out.match(/^PASS /gm) ?? []).length, 5, r.out);
    assert.match(r.out, /All 5 smoke checks passed/);
  });
});
