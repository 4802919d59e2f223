/**
 * `npm run bench [-- --only program,depth,local] [--runs 5] [--large-runs 3] [--sizes 1,10,100,300] [--stack staging] [--root <project>]`:
 * measurements, not tests (machines are shared and noisy: medians and ratios, never thresholds).
 *
 * - program: the real program evaluated under the mock runtime for generated projects of 1, 10,
 *   100 and 300 workers (each with its own D1 + migrations, KV namespace, vars, a config secret, a
 *   generated secret and a hostname), and a bare baseline that registers the same Cloudflare
 *   resources directly (scripts/bench/baseline.ts). Each evaluation runs in a fresh process: wall
 *   time and peak RSS, median of `--runs` (`--large-runs` from 300 workers up). The headline is
 *   ours/baseline. Determinism: the registered inputs of every run of ours are compared with the
 *   first run's; the count of differing resources must be 0. (evaluateStack switches off ts-node's
 *   source mapping of the stack trace @pulumi/pulumi captures per resource: it was about a third
 *   of the evaluation time at 300 workers.)
 * - depth: the longest chain of resources `pulumi up` creates one after another for every stack of
 *   the reference project (or of `--root <project>`), beside the manual steps of the seed runbook
 *   for the same system (seed 000).
 * - local: wall time from `npm start` to every worker answering /health 200, and the resident
 *   memory of the whole process tree (node + workerd) at that moment; fresh state and restarts
 *   over kept state, beside one `wrangler dev` per worker; with the phase breakdown each start
 *   reports (node, modules, program load, evaluation + bundling, workerd, migrations).
 *
 * Prints tables and writes JSON to .workers-stack/bench/ (git-ignored).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { httpGet } from "../checks/healthCheck";
import { evaluateLocally, startLocal } from "../local/runner";
import { countRunbookSteps, DependencyDepth, projectDependencyDepth, RunbookSteps } from "./bench/depth";
import { wranglerDevOnce } from "./bench/wranglerDev";
import { runMain } from "./cli";
import { median, OUT_DIR, positive, printTable, round, ROOT, treeRss, writeJson } from "./bench/util";
import { benchProgram, differingResources } from "./bench/program";

export { median, differingResources, treeRss };




interface StartSample {
  seconds: number;
  rssMiB: number;
  workers: number;
  /** Seconds per phase, as `npm start` reports them on its Ready line. */
  phases: Record<string, number>;
}

/** The phases of the `Ready in ... (node 0.05 s, modules 0.4 s, ...)` line `npm start` prints. */
export function parsePhases(out: string): Record<string, number> {
  const m = /^Ready in [\d.]+ s \((.*)\)/m.exec(out);
  if (!m) return {};
  return Object.fromEntries([...m[1]!.matchAll(/([a-z+ ]+?) ([\d.]+) s/g)].map((p) => [p[1]!.trim(), Number(p[2])]));
}

/**
 * One start of `npm start` (what package.json runs: node local/launch.js) for a stack: seconds to
 * all healthy, tree RSS then, and the phases it reports. `state` given: a restart over that state.
 */
async function startOnce(stack: string, project: string, state?: string): Promise<StartSample> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const dir = state ?? fs.mkdtempSync(path.join(os.tmpdir(), "ws-bench-"));
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ["local/launch.js", "--stack", stack, "--project", project, "--port", String(port), ...(state ? [] : ["--fresh"]), "--state", dir, "--no-watch"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`not healthy after 120 s:\n${out}`);
      if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${out}`);
      const hosts = [...out.matchAll(/^\S+\s+\S+\s+(http:\/\/127\.0\.0\.1:\d+)\s/gm)].map((m) => m[1]!);
      if (/Ready in/.test(out) && hosts.length) {
        const results = await Promise.all(hosts.map((h) => httpGet(`${h}/health`).catch(() => ({ status: 0, body: "" }))));
        if (results.every((r) => r.status === 200)) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          return { seconds, rssMiB: treeRss(child.pid!) / 1024 / 1024, workers: hosts.length, phases: parsePhases(out) };
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill("SIGINT");
    await new Promise((r) => child.once("exit", r));
    if (!state) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Local runner section: fresh starts and restarts (state kept) of `npm start` for one stack, and
 * beside them the same workers brought up the way the seed teams did it, one `wrangler dev`
 * process each; runs alternate so the machine's load hits both alike. Phases are medians of what
 * each start reports.
 */
async function benchLocal(root: string, stack: string, runs: number, machine: string): Promise<void> {
  const project = path.relative(ROOT, root) || ".";
  const evalState = fs.mkdtempSync(path.join(os.tmpdir(), "ws-bench-eval-"));
  const ev = await evaluateLocally({ root, stack }, evalState, () => undefined);
  fs.rmSync(evalState, { recursive: true, force: true });
  // One start first: it compiles the program into the launcher's cache, as any first start does.
  await startOnce(stack, root);

  const fresh: StartSample[] = [];
  const restart: StartSample[] = [];
  const wrangler: StartSample[] = [];
  const kept = fs.mkdtempSync(path.join(os.tmpdir(), "ws-bench-kept-"));
  try {
    await startOnce(stack, root, kept).catch(() => undefined);
    for (let i = 0; i < runs; i++) {
      fresh.push(await startOnce(stack, root));
      restart.push(await startOnce(stack, root, kept));
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-bench-wrangler-"));
      try {
        wrangler.push({ ...(await wranglerDevOnce(ev, dir, treeRss)), phases: {} });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      if (process.stderr.isTTY) process.stderr.write(`  local: run ${i + 1}/${runs} done\r`);
    }
  } finally {
    fs.rmSync(kept, { recursive: true, force: true });
  }
  const row = (xs: StartSample[]) => {
    const names = [...new Set(xs.flatMap((x) => Object.keys(x.phases)))];
    return {
      workers: xs[0]!.workers,
      medianSeconds: round(median(xs.map((s) => s.seconds)), 2),
      medianRssMiB: round(median(xs.map((s) => s.rssMiB)), 0),
      phases: Object.fromEntries(names.map((n) => [n, round(median(xs.map((x) => x.phases[n] ?? 0)), 2)])),
      samples: xs,
    };
  };
  const ours = row(fresh);
  const again = row(restart);
  const theirs = row(wrangler);
  console.log(`\nlocal runner, median of ${runs} starts (alternating), against one \`wrangler dev\` per worker started together`);
  printTable(
    ["project", "stack", "workers", "how", "start→all healthy", "memory", "time ÷ wrangler dev"],
    [
      [project, stack, String(ours.workers), "npm start, fresh state", `${ours.medianSeconds} s`, `${ours.medianRssMiB} MiB`, `×${round(ours.medianSeconds / theirs.medianSeconds, 2)}`],
      [project, stack, String(again.workers), "npm start, restart (state kept)", `${again.medianSeconds} s`, `${again.medianRssMiB} MiB`, `×${round(again.medianSeconds / theirs.medianSeconds, 2)}`],
      [project, stack, String(theirs.workers), "wrangler dev × workers", `${theirs.medianSeconds} s`, `${theirs.medianRssMiB} MiB`, "×1"],
    ],
  );
  console.log(`ratio npm start (fresh) / wrangler dev: time ×${round(ours.medianSeconds / theirs.medianSeconds, 2)}, memory ×${round(ours.medianRssMiB / theirs.medianRssMiB, 2)}`);
  const phaseNames = Object.keys(ours.phases);
  // pulumi, program load, evaluation and miniflare load overlap (a worker thread evaluates while
  // the main thread loads Miniflare): "until evaluated" is their wall time.
  const sequential = (p: Record<string, number>) => round(["node", "modules", "until evaluated", "workerd", "migrations"].reduce((a, n) => a + (p[n] ?? 0), 0), 2);
  console.log("\nwhere a start's time goes (median seconds per phase, as npm start reports them; pulumi, program load,");
  console.log("evaluation and miniflare load run side by side and end at \"until evaluated\"; the rest is the first /health answers):");
  printTable(
    ["start", ...phaseNames, "node+modules+until evaluated+workerd+migrations", "start→all healthy"],
    [
      ["fresh", ...phaseNames.map((n) => String(ours.phases[n])), String(sequential(ours.phases)), String(ours.medianSeconds)],
      ["restart", ...phaseNames.map((n) => String(again.phases[n] ?? "-")), String(sequential(again.phases)), String(again.medianSeconds)],
    ],
  );
  const watch = root === ROOT ? await benchWatch(stack, runs) : undefined;
  writeJson(`local-${project === "." ? "" : `${path.basename(root)}-`}${stack}.json`, { machine, date: new Date().toISOString(), project, stack, runs, npmStart: ours, restart: again, wranglerDev: theirs, ...(watch ? { watch } : {}) });
}

/**
 * --watch: from writing an edit of admin's source to the first request that gets the edited
 * answer, on a temporary copy of the reference project (`runs` edits, the 404 text changed each
 * time). That D1 rows survive a reload is tested (tests/watch.test.ts), not timed.
 */
async function benchWatch(stack: string, runs: number): Promise<{ medianMs: number; samplesMs: number[] }> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ws-bench-watch-"));
  const root = path.join(tmp, "project");
  fs.mkdirSync(root);
  for (const f of ["Pulumi.yaml", `Pulumi.${stack}.yaml`]) fs.copyFileSync(path.join(ROOT, f), path.join(root, f));
  for (const d of ["workers", "migrations"]) fs.cpSync(path.join(ROOT, d), path.join(root, d), { recursive: true });
  const source = path.join(root, "workers", "admin", "index.ts");
  const original = fs.readFileSync(source, "utf8");
  if (!original.includes('fail(404, "not found")')) throw new Error("bench --watch: workers/admin/index.ts no longer answers 404 \"not found\"");
  const local = await startLocal({ root, stack, port: 0, stateDir: path.join(tmp, "state"), fresh: true, watch: true, log: () => undefined });
  const samples: number[] = [];
  try {
    const admin = local.workers.find((w) => w.key === "admin")!;
    for (let i = 0; i < runs; i++) {
      const marker = `edit ${i} ${Date.now()}`;
      // Let the watcher settle between edits, as a person typing would.
      await new Promise((r) => setTimeout(r, 300));
      const started = process.hrtime.bigint();
      fs.writeFileSync(source, original.replace('fail(404, "not found")', `fail(404, "${marker}")`));
      const deadline = Date.now() + 30_000;
      for (;;) {
        const res = await httpGet(`${admin.url}/no-such-route`).catch(() => ({ status: 0, body: "" }));
        if (res.body.includes(marker)) break;
        if (Date.now() > deadline) throw new Error(`bench --watch: edit ${i} not served within 30 s`);
        await new Promise((r) => setTimeout(r, 5));
      }
      samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  } finally {
    await local.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const medianMs = round(median(samples), 0);
  console.log(`\n--watch: an edit of admin's source served after ${medianMs} ms (median of ${runs}; samples ${samples.map((x) => Math.round(x)).join(", ")} ms)`);
  return { medianMs, samplesMs: samples.map((x) => round(x, 0)) };
}

/**
 * The seed-000 runbook, counted: read from the shared seeds when they sit beside the checkout,
 * else the figures recorded when it was counted (same rule: numbered steps, bullets below them).
 */
function seedRunbook(): RunbookSteps & { source: string } {
  const dir = path.join(ROOT, "..", "shared", "seeds");
  const file = fs.existsSync(dir) ? fs.readdirSync(dir).find((f) => f.startsWith("000_")) : undefined;
  if (file) return { ...countRunbookSteps(fs.readFileSync(path.join(dir, file), "utf8")), source: `shared/seeds/${file}` };
  return { steps: 7, subSteps: 20, perStep: [3, 3, 3, 3, 3, 3, 2], source: "recorded count of seed 000" };
}

/**
 * Depth section: the longest create chain of each stack of a project, beside the seed runbook's
 * manual steps when the project is this repository's reference system.
 */
async function benchDepth(root: string, stacks: string[], machine: string): Promise<void> {
  const depths: (DependencyDepth & { stack: string })[] = [];
  for (const stack of stacks) depths.push({ stack, ...(await projectDependencyDepth(root, stack)) });
  const where = path.relative(ROOT, root) || "reference stacks";
  console.log(`\ndependency depth (${where}): the longest chain of resources \`pulumi up\` creates one after another (custom resources only)`);
  printTable(
    ["stack", "custom resources", "depth", "longest chain"],
    depths.map((d) => [d.stack, String(d.customResources), String(d.depth), d.chain.join(" → ")]),
  );
  const runbook = root === ROOT ? seedRunbook() : undefined;
  if (runbook)
    console.log(
      `seed 000 runbook (the same bot by hand, ${runbook.source}): ${runbook.steps} numbered steps with ${runbook.subSteps} bulleted sub-steps ` +
        `(${runbook.perStep.join("+")}), all manual and in order; several bullets hold more than one action ` +
        "(e.g. `npm install`, `npm run lint`, `npm test`, `npm run typecheck` in one), and step 7 waits 24 h. " +
        `With workers-stack: one \`pulumi up\`, whose longest chain is ${Math.max(...depths.map((d) => d.depth))} resources, created without a manual step.`,
    );
  const name = root === ROOT ? "depth.json" : `depth-${path.basename(root)}.json`;
  writeJson(name, { machine, date: new Date().toISOString(), root: path.relative(ROOT, root) || ".", stacks: depths, ...(runbook ? { runbook } : {}) });
}

/** The stacks of a project: one per Pulumi.<stack>.yaml beside its Pulumi.yaml. */
function stacksOf(root: string): string[] {
  return fs
    .readdirSync(root)
    .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: "string", default: "program,depth,local" },
      runs: { type: "string", default: "5" },
      "large-runs": { type: "string", default: "3" },
      sizes: { type: "string", default: "1,10,100,300" },
      root: { type: "string" },
      stack: { type: "string", default: "staging" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log("usage: npm run bench -- [--only program,depth,local] [--runs 5] [--large-runs 3] [--sizes 1,10,100,300] [--stack staging] [--root <project>]");
    return;
  }
  const sections = new Set(values.only.split(",").map((s) => s.trim()));
  for (const s of sections) if (!["program", "depth", "local"].includes(s)) throw new Error(`--only: unknown section "${s}" (program, depth, local)`);
  const runs = positive(values.runs, "--runs");
  const largeRuns = positive(values["large-runs"], "--large-runs");
  const sizes = values.sizes.split(",").map((s) => positive(s, "--sizes"));
  const machine = `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.cpus()[0]?.model ?? "?"}, node ${process.version}`;
  console.log(`workers-stack bench (${machine})`);
  if (sections.has("program")) await benchProgram(sizes, runs, largeRuns, false, machine);
  // --root: another project on this program (e.g. an example): its depth (all stacks) and local start.
  const depthRoot = values.root ? path.resolve(values.root) : ROOT;
  if (sections.has("depth")) await benchDepth(depthRoot, stacksOf(depthRoot), machine);
  if (sections.has("local")) await benchLocal(depthRoot, values.stack, runs, machine);
  console.log(`\nJSON in ${path.relative(process.cwd(), OUT_DIR) || "."}`);
}

// The depth section leaves the mock runtime's handles open: runMain exits when done.
if (require.main === module) runMain(main);
