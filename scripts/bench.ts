/**
 * `npm run bench [-- --runs 5] [--stack staging]`: measurements, not tests (machines are shared
 * and noisy: medians and ratios, never thresholds).
 *
 * - local runner: wall time from `npm start` to every worker answering /health 200, and the
 *   resident memory of the whole process tree (node + workerd) at that moment; fresh state each
 *   run.
 *
 * Prints a table and writes JSON to .workers-stack/bench/ (git-ignored).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { httpGet } from "../local/healthCheck";

const ROOT = path.resolve(__dirname, "..");

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Resident memory (bytes) of a process and all its descendants, from /proc. */
export function treeRss(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* process ended */
    }
  }
  let total = 0;
  const visit = (p: number) => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, "utf8"));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      /* process ended */
    }
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return total;
}

/** One cold start of `npm start` for a stack: seconds to all healthy, and tree RSS then. */
async function startOnce(stack: string): Promise<{ seconds: number; rssMiB: number; workers: number }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const state = fs.mkdtempSync(path.join(os.tmpdir(), "ws-bench-"));
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "local/start.ts", "--stack", stack, "--port", String(port), "--fresh", "--state", state], {
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
          return { seconds, rssMiB: treeRss(child.pid!) / 1024 / 1024, workers: hosts.length };
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    child.kill("SIGINT");
    await new Promise((r) => child.once("exit", r));
    fs.rmSync(state, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, stack: { type: "string", default: "staging" } } });
  const runs = Number(values.runs);
  const samples: { seconds: number; rssMiB: number; workers: number }[] = [];
  for (let i = 0; i < runs; i++) samples.push(await startOnce(values.stack));
  const row = {
    stack: values.stack,
    workers: samples[0]!.workers,
    runs,
    medianSeconds: Number(median(samples.map((s) => s.seconds)).toFixed(2)),
    medianRssMiB: Number(median(samples.map((s) => s.rssMiB)).toFixed(0)),
    samples,
  };
  const machine = `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.cpus()[0]?.model ?? "?"}, node ${process.version}`;
  console.log(`local runner, median of ${runs} cold starts (${machine})`);
  console.log("stack      workers  start→all healthy  memory (node + workerd)");
  console.log(`${row.stack.padEnd(10)} ${String(row.workers).padEnd(8)} ${`${row.medianSeconds} s`.padEnd(18)} ${row.medianRssMiB} MiB`);
  const dir = path.join(ROOT, ".workers-stack", "bench");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `local-${values.stack}.json`);
  fs.writeFileSync(file, JSON.stringify({ machine, date: new Date().toISOString(), ...row }, null, 2));
  console.log(`written ${path.relative(process.cwd(), file)}`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
}
