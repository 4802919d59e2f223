/**
 * The GitHub Actions workflows, linted against this repository: triggers and jobs as intended,
 * every `npm run <x>` a real script, every local file they name present, every Pulumi action step
 * on a stack that has its Pulumi.<stack>.yaml, Node 22 with the npm cache and `npm ci` wherever npm
 * runs, only the documented secrets, and a valid cron for the drift check.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ROOT } from "./helpers";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
  shell?: string;
  "continue-on-error"?: unknown;
}
interface Job {
  "runs-on"?: string;
  permissions?: Record<string, string>;
  needs?: string | string[];
  if?: string;
  environment?: string;
  strategy?: { matrix?: Record<string, unknown[]>; "fail-fast"?: boolean };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string> | "read-all" | "write-all";
  concurrency?: { group: string };
  jobs: Record<string, Job>;
}

const DIR = path.join(ROOT, ".github", "workflows");
const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
const workflows = new Map(files.map((f) => [f, parse(fs.readFileSync(path.join(DIR, f), "utf8")) as Workflow]));
const scripts: Record<string, string> = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
/** The repository secrets the docs tell a user to create (GITHUB_TOKEN is GitHub's own). */
const DOCUMENTED_SECRETS = ["CLOUDFLARE_API_TOKEN", "GITHUB_TOKEN", "PULUMI_ACCESS_TOKEN"];

const wf = (file: string) => {
  const w = workflows.get(file);
  assert.ok(w, `.github/workflows/${file} exists`);
  return w;
};
const allSteps = () => [...workflows].flatMap(([file, w]) => Object.entries(w.jobs).flatMap(([job, j]) => j.steps.map((s) => ({ file, job, j, s }))));

/** The values `${{ matrix.<key> }}` takes in a job, or the literal text when it is not a matrix expression. */
function expand(text: string, job: Job): string[] {
  const m = /^\$\{\{\s*matrix\.([\w-]+)\s*\}\}$/.exec(text.trim());
  if (!m) return [text];
  const values = job.strategy?.matrix?.[m[1]!];
  assert.ok(Array.isArray(values), `matrix.${m[1]} is defined`);
  return values.map(String);
}

/** Every field of a 5-field cron, expanded; throws on an invalid field. GitHub's syntax (POSIX cron). */
function expandCron(expr: string): number[][] {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`cron "${expr}" has ${fields.length} fields, expected 5`);
  const limits: [number, number][] = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 6]];
  const names = [[], [], [], ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]];
  return fields.map((field, i) => {
    const [lo, hi] = limits[i]!;
    const value = (s: string) => {
      const byName = names[i]!.indexOf(s.toUpperCase());
      const n = byName >= 0 ? byName + (i === 3 ? 1 : 0) : /^\d+$/.test(s) ? Number(s) : NaN;
      if (!(n >= lo && n <= hi)) throw new Error(`cron "${expr}": "${s}" is out of range ${lo}-${hi} in field ${i + 1}`);
      return n;
    };
    const out = new Set<number>();
    for (const part of field.split(",")) {
      const m = /^(\*|[\w]+(?:-[\w]+)?)(?:\/(\d+))?$/.exec(part);
      if (!m) throw new Error(`cron "${expr}": cannot read "${part}"`);
      const step = m[2] ? Number(m[2]) : 1;
      if (step < 1) throw new Error(`cron "${expr}": step 0`);
      const [a, b] = m[1] === "*" ? [lo, hi] : m[1]!.includes("-") ? m[1]!.split("-").map(value) : [value(m[1]!), m[2] ? hi : value(m[1]!)];
      if (a! > b!) throw new Error(`cron "${expr}": range ${a}-${b} is backwards`);
      for (let n = a!; n <= b!; n += step) out.add(n);
    }
    return [...out].sort((x, y) => x - y);
  });
}

describe("GitHub Actions workflows", () => {
  it("are the four expected, each with its trigger and jobs", () => {
    assert.deepEqual(files, ["deploy-staging.yml", "drift.yml", "preview.yml", "promote.yml"]);
    assert.deepEqual(Object.keys(wf("preview.yml").on), ["pull_request"]);
    assert.deepEqual(Object.keys(wf("preview.yml").jobs).sort(), ["preview", "test"]);
    assert.deepEqual(wf("deploy-staging.yml").on, { push: { branches: ["main"] } });
    assert.deepEqual(Object.keys(wf("deploy-staging.yml").jobs).sort(), ["deploy-staging", "test"]);
    assert.equal(wf("deploy-staging.yml").jobs["deploy-staging"]!.needs, "test", "nothing untested is deployed");
    assert.deepEqual(Object.keys(wf("promote.yml").on), ["workflow_dispatch"]);
    assert.deepEqual(Object.keys(wf("drift.yml").on).sort(), ["schedule", "workflow_dispatch"]);
  });

  it("preview staging only on pull requests, same-repository ones only, and comment on the PR", () => {
    const job = wf("preview.yml").jobs.preview!;
    const step = job.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
    assert.equal(step.with?.command, "preview");
    assert.equal(step.with?.["comment-on-pr"], true);
    assert.deepEqual(expand(String(step.with?.["stack-name"]), job), ["staging"], "a pull request gets nothing of production");
    assert.equal(job.permissions?.["pull-requests"], "write", "allowed to comment");
    assert.equal(job.if, "github.event.pull_request.head.repo.full_name == github.repository", "fork guard: a fork's code never runs with a credential");
    assert.equal(job.environment, "preview", "the preview environment's staging-scoped tokens, not the deploy ones");
  });

  it("grant nothing by default and each job only the permissions it needs", () => {
    const writes: string[] = [];
    for (const [file, w] of workflows) {
      assert.deepEqual(w.permissions, {}, `${file}: workflow-level permissions: {}`);
      for (const [name, job] of Object.entries(w.jobs)) {
        assert.ok(job.permissions && typeof job.permissions === "object", `${file}#${name}: declares its permissions`);
        assert.equal(job.permissions.contents, "read", `${file}#${name}: contents: read`);
        for (const [scope, level] of Object.entries(job.permissions)) {
          assert.ok(["read", "write", "none"].includes(level), `${file}#${name}: ${scope}: ${level}`);
          if (level === "write") writes.push(`${file}#${name}:${scope}`);
        }
      }
    }
    assert.deepEqual(writes.sort(), ["drift.yml#drift:issues", "preview.yml#preview:pull-requests"]);
  });

  it("give credentials only to the steps that run Pulumi, in an environment, never to pull requests from forks or for production", () => {
    for (const [file, w] of workflows) {
      const onPullRequest = Object.keys(w.on).some((e) => e.startsWith("pull_request"));
      assert.ok(!Object.keys(w.on).includes("pull_request_target"), `${file}: pull_request_target runs fork code with secrets`);
      for (const [name, job] of Object.entries(w.jobs)) {
        assert.ok(!JSON.stringify(job.env ?? {}).includes("secrets."), `${file}#${name}: no secret in the job's env (npm ci and the tests would get it)`);
        const withSecrets = job.steps.filter((s) => JSON.stringify(s.env ?? {}).includes("secrets."));
        for (const s of withSecrets) {
          assert.ok(s.uses?.startsWith("pulumi/actions@") || /^npm run (--silent )?(drift|promote)\b/.test(s.run ?? ""), `${file}#${name}: secrets on "${s.name ?? s.run ?? s.uses}"`);
        }
        if (withSecrets.length) assert.ok(job.environment, `${file}#${name}: credentials come from an environment`);
        if (onPullRequest && withSecrets.length) {
          assert.equal(job.if, "github.event.pull_request.head.repo.full_name == github.repository", `${file}#${name}: fork guard`);
          assert.notEqual(job.environment, "production", `${file}#${name}: production is never given to a pull request`);
        }
      }
    }
  });

  it("pin every action to a full commit SHA, with its version in a comment", () => {
    let count = 0;
    for (const f of files)
      for (const line of fs.readFileSync(path.join(DIR, f), "utf8").split("\n")) {
        const m = /^\s*(?:-\s*)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!m) continue;
        count++;
        assert.match(m[1]!, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, `${f}: ${line.trim()} is not pinned to a commit`);
        assert.match(m[2]!, /^ # v\d+\.\d+\.\d+$/, `${f}: ${line.trim()} has no "# vX.Y.Z" comment`);
        if (m[1]!.startsWith("pulumi/actions@")) assert.match(m[2]!, / # v6\./, `${f}: the official Pulumi action, v6`);
      }
    assert.ok(count >= 12, `found ${count} uses: lines`);
  });

  it("check out without leaving the token in .git/config", () => {
    for (const { file, job, s } of allSteps().filter(({ s }) => s.uses?.startsWith("actions/checkout@")))
      assert.equal(s.with?.["persist-credentials"], false, `${file}#${job}`);
  });

  it("on push to main: up staging, then validate and smoke it, in that order", () => {
    const steps = wf("deploy-staging.yml").jobs["deploy-staging"]!.steps;
    const up = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command === "up" && s.with?.["stack-name"] === "staging");
    const validate = steps.findIndex((s) => s.run?.includes("npm run validate -- --stack staging"));
    const smoke = steps.findIndex((s) => s.run?.includes("npm run smoke -- --stack staging"));
    assert.ok(up >= 0 && validate > up && smoke > validate, JSON.stringify({ up, validate, smoke }));
  });

  it("promote by hand runs the full gated promotion, on main only", () => {
    const job = wf("promote.yml").jobs.promote!;
    assert.ok(job.steps.some((s) => /^npm run promote\b/.test(s.run ?? "") && !/--prod-only|--stage-only|--dry-run/.test(s.run ?? "")));
    assert.match(job.if ?? "", /github\.ref == 'refs\/heads\/main'/);
    assert.equal(job.environment, "production");
    assert.equal(wf("promote.yml").concurrency?.group, wf("deploy-staging.yml").concurrency?.group, "never two deployments at once");
  });

  it("check drift every 6 hours on both stacks, and fail loudly", () => {
    const w = wf("drift.yml");
    const schedule = w.on.schedule as { cron: string }[];
    assert.deepEqual(schedule.map((s) => s.cron), ["0 */6 * * *"]);
    const [minute, hour, dom, month, dow] = expandCron(schedule[0]!.cron);
    assert.deepEqual([minute, hour], [[0], [0, 6, 12, 18]]);
    assert.deepEqual([dom!.length, month!.length, dow!.length], [31, 12, 7], "every day");
    const job = w.jobs.drift!;
    assert.deepEqual(job.strategy?.matrix?.stack, ["staging", "production"]);
    assert.equal(job.strategy?.["fail-fast"], false, "one stack's drift does not hide the other's");
    const check = job.steps.find((s) => s.run?.includes("npm run --silent drift -- --stack ${{ matrix.stack }}"))!;
    assert.ok(check, "runs npm run drift per stack");
    assert.equal(check["continue-on-error"], undefined, "a drift fails the job");
    assert.equal(check.shell, "bash", "bash -eo pipefail: the tee does not swallow the exit code");
    const report = job.steps.find((s) => s.if === "failure()")!;
    assert.ok(report?.run?.includes("gh issue create") && report.run.includes("GITHUB_STEP_SUMMARY"), "a failure opens an issue and writes the run summary");
    assert.equal(job.permissions?.issues, "write");
  });

  it("the cron checker itself rejects what GitHub rejects", () => {
    for (const bad of ["0 */6 * *", "60 * * * *", "0 24 * * *", "0 */0 * * *", "0 5-1 * * *", "* * * * 8", "0 */6 * * * *"]) assert.throws(() => expandCron(bad), bad);
    assert.deepEqual(expandCron("15 1,13 * JAN-MAR MON-FRI").slice(1), [[1, 13], Array.from({ length: 31 }, (_, i) => i + 1), [1, 2, 3], [1, 2, 3, 4, 5]]);
  });

  it("call only npm scripts that exist in package.json", () => {
    const called = allSteps().flatMap(({ file, s }) => [...(s.run ?? "").matchAll(/npm run (?:--silent )?([\w:-]+)/g)].map((m) => ({ file, script: m[1]! })));
    assert.deepEqual([...new Set(called.map((c) => c.script))].sort(), ["drift", "promote", "smoke", "validate"]);
    for (const c of called) assert.ok(scripts[c.script], `${c.file}: npm run ${c.script} is not in package.json scripts`);
  });

  it("reference only local files that exist", () => {
    const refs = allSteps().flatMap(({ file, s }) => {
      const texts = [s.run ?? "", ...Object.values(s.with ?? {}).map(String), s.uses?.startsWith("./") ? s.uses : ""];
      return texts.flatMap((t) => [...t.matchAll(/(?:^|[\s"'=])(\.{0,2}\/?(?:scripts|smoke|docs|local|config|migrations|\.ci|\.github)\/[\w./-]+)/g)].map((m) => ({ file, ref: m[1]! })));
    });
    assert.ok(refs.some((r) => r.ref === "docs/operations.md"), "the drift issue points to the runbook");
    for (const r of refs) assert.ok(fs.existsSync(path.resolve(ROOT, r.ref)), `${r.file}: ${r.ref} does not exist`);
  });

  it("run every Pulumi action step on a stack that has its Pulumi.<stack>.yaml, with the official action (pinned)", () => {
    const pinned = /^pulumi\/actions@([0-9a-f]{40})$/;
    const pulumiSteps = allSteps().filter(({ s }) => s.uses?.startsWith("pulumi/"));
    assert.ok(pulumiSteps.length >= 4);
    for (const { file, j, s } of pulumiSteps) {
      assert.match(s.uses!, pinned, file);
      if (s.with?.command === undefined) continue; // install-only: the npm scripts drive the CLI
      for (const stack of expand(String(s.with?.["stack-name"]), j)) assert.ok(fs.existsSync(path.join(ROOT, `Pulumi.${stack}.yaml`)), `${file}: stack ${stack} has no Pulumi.${stack}.yaml`);
    }
  });

  it("set up Node 22 with the npm cache and `npm ci` before any npm or Pulumi step", () => {
    for (const [file, w] of workflows)
      for (const [name, job] of Object.entries(w.jobs)) {
        const node = job.steps.findIndex((s) => s.uses?.startsWith("actions/setup-node@"));
        const ci = job.steps.findIndex((s) => s.run === "npm ci");
        const firstUse = job.steps.findIndex((s) => /\bnpm (run|test)\b/.test(s.run ?? "") || s.uses?.startsWith("pulumi/"));
        assert.ok(node >= 0, `${file}#${name}: actions/setup-node`);
        assert.equal(job.steps[node]!.with?.["node-version"], 22, `${file}#${name}: Node 22`);
        assert.equal(job.steps[node]!.with?.cache, "npm", `${file}#${name}: npm cache`);
        assert.ok(ci > node && ci < firstUse, `${file}#${name}: npm ci after setup-node and before the first npm/pulumi step`);
        assert.ok(job.steps[0]!.uses?.startsWith("actions/checkout@"), `${file}#${name}: checks out first`);
      }
  });

  it("use only the documented secrets, and give every Pulumi command both tokens", () => {
    const text = files.map((f) => fs.readFileSync(path.join(DIR, f), "utf8")).join("\n");
    const used = [...new Set([...text.matchAll(/secrets\.([A-Z0-9_]+)/g)].map((m) => m[1]!))].sort();
    assert.deepEqual(used.filter((s) => !DOCUMENTED_SECRETS.includes(s)), []);
    const runbook = fs.readFileSync(path.join(ROOT, "docs", "operations.md"), "utf8");
    for (const s of used.filter((x) => x !== "GITHUB_TOKEN")) assert.ok(runbook.includes(s), `docs/operations.md explains ${s}`);
    const pulumiCommands = allSteps().filter(({ s }) => (s.uses?.startsWith("pulumi/") && s.with?.command !== undefined) || /^npm run (--silent )?(drift|promote)\b/.test(s.run ?? ""));
    assert.equal(pulumiCommands.length, 4, "preview, up staging, drift, promote");
    for (const { file, job, s } of pulumiCommands) {
      assert.equal(s.env?.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}", `${file}#${job}`);
      assert.equal(s.env?.CLOUDFLARE_API_TOKEN, "${{ secrets.CLOUDFLARE_API_TOKEN }}", `${file}#${job}`);
    }
  });
});
