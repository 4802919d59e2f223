/** The bench's program section: the real program and a bare baseline evaluated in fresh processes for generated projects, with the determinism check. */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ChildResult } from "./evaluateChild";
import { generateProject } from "./generate";
import { median, printTable, round, ROOT, treeRss, writeJson } from "./util";

/** One evaluation in a fresh process: the child's own figures plus the process tree's sampled peak. */
export async function evaluateInChild(root: string, program: "ours" | "baseline", rawStacks: boolean): Promise<ChildResult & { processSeconds: number; treePeakMiB: number }> {
  const out = path.join(root, `result-${program}-${process.hrtime.bigint()}.json`);
  const started = process.hrtime.bigint();
  // The loader `npm start` uses (esbuild, cached), for both programs alike.
  const child = spawn(process.execPath, ["-r", path.join(ROOT, "local", "launch.js"), path.join("scripts", "bench", "evaluateChild.ts"), root, program, out], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WORKERS_STACK_BENCH_RAW_STACKS: rawStacks ? "1" : "" },
  });
  let log = "";
  child.stdout.on("data", (c: Buffer) => (log += c.toString()));
  child.stderr.on("data", (c: Buffer) => (log += c.toString()));
  // The esbuild service is a child of the evaluating process: sample the whole tree.
  let treePeak = 0;
  const timer = setInterval(() => (treePeak = Math.max(treePeak, treeRss(child.pid!))), 100);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearInterval(timer);
  const processSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0 || !fs.existsSync(out)) throw new Error(`evaluation (${program}, ${root}) exited ${code}:\n${log}`);
  const result = JSON.parse(fs.readFileSync(out, "utf8")) as ChildResult;
  fs.rmSync(out);
  if (result.error) throw new Error(`evaluation (${program}) failed: ${result.error}`);
  return { ...result, processSeconds, treePeakMiB: Math.max(treePeak / 2 ** 20, result.peakRssMiB) };
}

/** Sorted-key JSON, so two evaluations are compared by content, not by key order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object" && v !== null)
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "undefined";
}

/** Resources whose registered inputs differ between two evaluations (or that only one registered). */
export function differingResources(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const urns = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return urns.filter((u) => !(u in a) || !(u in b) || canonical(a[u]) !== canonical(b[u]));
}

interface SizeRow {
  workers: number;
  runs: number;
  resources: { ours: number; baseline: number; oursCustom: number; baselineCustom: number };
  ours: { evalSeconds: number; processSeconds: number; peakRssMiB: number; treePeakMiB: number; msPerRegistration: number };
  baseline: { evalSeconds: number; processSeconds: number; peakRssMiB: number; treePeakMiB: number; msPerRegistration: number };
  ratio: { time: number; memory: number };
  determinism: { evaluations: number; resourcesCompared: number; differing: number; examples: string[] };
  samples: { ours: number[]; baseline: number[] };
}

/** Program section: generated projects of each size, ours and the bare baseline, fresh process per run. */
export async function benchProgram(sizes: number[], runs: number, largeRuns: number, rawStacks: boolean, machine: string): Promise<SizeRow[]> {
  const rows: SizeRow[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ws-bench-program-"));
  try {
    for (const size of sizes) {
      const n = size >= 300 ? largeRuns : runs;
      const root = path.join(tmp, `workers-${size}`);
      generateProject(root, size);
      const ours: Awaited<ReturnType<typeof evaluateInChild>>[] = [];
      const baseline: Awaited<ReturnType<typeof evaluateInChild>>[] = [];
      let first: Record<string, unknown> | undefined;
      const differing = new Set<string>();
      // Alternate the two programs so drift in the machine's load hits both alike. Determinism
      // needs two evaluations of ours even when a single run is asked for.
      for (let i = 0; i < Math.max(n, 2); i++) {
        const o = await evaluateInChild(root, "ours", rawStacks);
        if (!first) first = o.inputs;
        else differingResources(first, o.inputs).forEach((u) => differing.add(u));
        if (i < n) ours.push({ ...o, inputs: {} });
        if (i < n) baseline.push({ ...(await evaluateInChild(root, "baseline", rawStacks)), inputs: {} });
        if (process.stderr.isTTY) process.stderr.write(`  ${size} workers: run ${i + 1}/${Math.max(n, 2)} done\r`);
      }
      const summary = (xs: typeof ours) => {
        const evalSeconds = median(xs.map((x) => x.evalMs)) / 1000;
        return {
          evalSeconds: round(evalSeconds, 2),
          processSeconds: round(median(xs.map((x) => x.processSeconds)), 2),
          peakRssMiB: round(median(xs.map((x) => x.peakRssMiB)), 0),
          treePeakMiB: round(median(xs.map((x) => x.treePeakMiB)), 0),
          msPerRegistration: round((evalSeconds * 1000) / xs[0]!.resources, 1),
        };
      };
      const o = summary(ours);
      const b = summary(baseline);
      rows.push({
        workers: size,
        runs: n,
        resources: { ours: ours[0]!.resources, baseline: baseline[0]!.resources, oursCustom: ours[0]!.customResources, baselineCustom: baseline[0]!.customResources },
        ours: o,
        baseline: b,
        ratio: { time: round(median(ours.map((x) => x.evalMs)) / median(baseline.map((x) => x.evalMs)), 2), memory: round(o.peakRssMiB / b.peakRssMiB, 2) },
        determinism: { evaluations: Math.max(n, 2), resourcesCompared: Object.keys(first ?? {}).length, differing: differing.size, examples: [...differing].slice(0, 5) },
        samples: { ours: ours.map((x) => round(x.evalMs / 1000, 2)), baseline: baseline.map((x) => round(x.evalMs / 1000, 2)) },
      });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (process.stderr.isTTY) process.stderr.write(`${" ".repeat(40)}\r`);

  const runsNote = sizes.some((s) => s >= 300) && largeRuns !== runs ? `median of ${runs} runs (${largeRuns} from 300 workers up)` : `median of ${runs} runs`;
  console.log(`\nprogram evaluation under the mock runtime, each run a fresh process, ${runsNote}${rawStacks ? ", stack traces not source-mapped (--raw-stacks)" : ""}`);
  console.log("(ours: config + validation + plan + components; bare: the same Cloudflare resources registered directly)");
  printTable(
    ["workers", "resources ours/bare", "ours time", "bare time", "time ours/bare", "ours peak RSS", "bare peak RSS", "memory ours/bare", "ms/registration ours/bare"],
    rows.map((r) => [
      String(r.workers),
      `${r.resources.ours} (${r.resources.oursCustom} custom) / ${r.resources.baseline}`,
      `${r.ours.evalSeconds} s`,
      `${r.baseline.evalSeconds} s`,
      `×${r.ratio.time}`,
      `${r.ours.peakRssMiB} MiB`,
      `${r.baseline.peakRssMiB} MiB`,
      `×${r.ratio.memory}`,
      `${r.ours.msPerRegistration} / ${r.baseline.msPerRegistration}`,
    ]),
  );
  const largest = rows.at(-1);
  if (largest)
    console.log(`headline: at ${largest.workers} workers ours/bare = ×${largest.ratio.time} time, ×${largest.ratio.memory} peak memory`);

  console.log("\ndeterminism: every run of ours in a fresh process, registered inputs compared with the first run");
  printTable(
    ["workers", "evaluations", "resources compared", "resources with different inputs"],
    rows.map((r) => [String(r.workers), String(r.determinism.evaluations), String(r.determinism.resourcesCompared), String(r.determinism.differing)]),
  );
  writeJson(rawStacks ? "program-raw-stacks.json" : "program.json", { machine, date: new Date().toISOString(), rawStacks, rows });
  return rows;
}

