/**
 * `npm run graph`: the Mermaid picture of a stack, drawn from the evaluation the program deploys,
 * and the staging diagram embedded in README.md (it must be regenerated when the declaration changes).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Evaluation, reveal } from "../harness/evaluate";
import { evaluateLocally } from "../local/runner";
import { graphOfStack, markers, mermaidBlock, readmeBlock, replaceReadmeBlock, stackGraph } from "../scripts/graph";
import { scriptCommand } from "./fakePulumi";
import { evaluate, referenceSystem, ROOT, TYPES } from "./helpers";

async function evaluated(root: string, stack: string): Promise<Evaluation> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-graph-"));
  try {
    return await evaluateLocally({ root, stack }, dir, () => undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const edgesOf = (graph: string) => graph.split("\n").filter((l) => / -\.?->/.test(l)).map((l) => l.trim());

describe("npm run graph", () => {
  it("README.md embeds the current staging diagram (run `npm run graph -- --stack staging --readme` after changing the declaration)", async () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const block = readmeBlock(readme, "staging");
    assert.ok(block !== undefined, `README.md has no ${markers("staging").start} block`);
    assert.equal(block, mermaidBlock(await graphOfStack(ROOT, "staging")));
    assert.ok(/## Topology \(staging\)\s*\n\s*<!-- graph:staging:start -->/.test(readme), "a one-line heading introduces it");
  });

  it("draws the reference staging stack: hostnames to workers, bindings to D1 and KV, the shared secret", async () => {
    const graph = stackGraph(await evaluate("staging"));
    assert.deepEqual(edgesOf(graph), [
      "host_admin_staging_example_com --> worker_admin",
      "host_bot_staging_example_com --> worker_bot",
      "secret_ADMIN_TOKEN -.-> worker_admin",
      "secret_ADMIN_TOKEN -.-> worker_bot",
      'worker_admin -->|"DB"| d1_main',
      'worker_bot -->|"DB"| d1_main',
      'worker_bot -->|"RATE_LIMIT_KV"| kv_rate_limit',
    ]);
    assert.ok(graph.startsWith("flowchart LR\n"));
    // Secrets only one worker holds are not drawn; no ids or git version leak into the picture.
    assert.ok(!graph.includes("OPENAI_API_KEY"));
    assert.ok(!/[0-9a-f]{12}/.test(graph), graph);
  });

  it("is the same on every evaluation (sorted, no made-up ids or secret values)", async () => {
    assert.equal(await graphOfStack(ROOT, "staging"), stackGraph(await evaluate("staging")));
    assert.equal(await graphOfStack(ROOT, "production"), stackGraph(await evaluate("production")));
  });

  it("changes when the declaration does: a new worker with a service binding and a shared secret", async () => {
    const system = referenceSystem();
    system.workers.api = { entry: "workers/admin/index.ts", hostnames: ["api"], secrets: ["ADMIN_TOKEN", "OPENAI_API_KEY"], bindings: { BOT: { service: "bot" } } };
    system.workers.bot.secrets.push("OPENAI_API_KEY");
    system.workers.bot.secrets = [...new Set(system.workers.bot.secrets)];
    const before = stackGraph(await evaluate("staging"));
    const after = stackGraph(await evaluate("staging", { system }));
    assert.notEqual(after, before);
    for (const line of ['worker_api -->|"BOT"| worker_bot', "host_api_staging_example_com --> worker_api", "secret_OPENAI_API_KEY -.-> worker_api", "secret_ADMIN_TOKEN -.-> worker_api"])
      assert.ok(edgesOf(after).includes(line), `${line} in\n${after}`);
    assert.match(after, /secret_OPENAI_API_KEY\{\{"OPENAI_API_KEY<br\/>config secret"\}\}/);
  });

  // Every binding that points at something is an edge from its worker, on every project here.
  const projects = [ROOT, ...(fs.existsSync(path.join(ROOT, "examples")) ? fs.readdirSync(path.join(ROOT, "examples")).map((d) => path.join(ROOT, "examples", d)) : [])].filter((d) =>
    fs.existsSync(path.join(d, "Pulumi.staging.yaml")),
  );
  for (const root of projects) {
    it(`draws one edge per resource binding, route and shared secret (${path.relative(ROOT, root) || "reference"} staging)`, async function () {
      this.timeout(60_000);
      const ev = await evaluated(root, "staging");
      const graph = stackGraph(ev);
      const edges = edgesOf(graph);
      const scripts = ev.resources.filter((r) => r.type === TYPES.script);
      const users = new Map<string, number>();
      for (const s of scripts) {
        const from = `worker_${s.name.replace(/[^A-Za-z0-9]/g, "_")}`;
        for (const b of ((reveal(s.inputs) as any).bindings ?? []) as { name: string; type: string }[]) {
          if (b.type === "plain_text" || b.type === "json") continue;
          if (b.type === "secret_text") {
            users.set(b.name, (users.get(b.name) ?? 0) + 1);
            continue;
          }
          assert.ok(edges.some((e) => e.startsWith(`${from} -->|"${b.name}`)), `${s.name}.${b.name} (${b.type}) drawn in\n${graph}`);
        }
      }
      for (const r of ev.resources.filter((x) => x.type === TYPES.route)) {
        const host = String(r.inputs.pattern).replace(/\/\*$/, "").replace(/[^A-Za-z0-9]/g, "_");
        assert.ok(edges.some((e) => e.startsWith(`host_${host} --> worker_`)), host);
      }
      const shared = [...users].filter(([, n]) => n > 1).map(([name]) => name).sort();
      assert.deepEqual([...new Set(edges.filter((e) => e.startsWith("secret_")).map((e) => e.split(" ")[0]!.slice("secret_".length)))].sort(), shared);
      assert.equal(new Set(graph.split("\n")).size, graph.split("\n").length, "no duplicate lines");
    });
  }

  it("rewrites only the block between the markers", () => {
    const readme = "# X\n\ntext\n\n<!-- graph:staging:start -->\nold\n<!-- graph:staging:end -->\n\nafter\n";
    const out = replaceReadmeBlock(readme, "staging", "```mermaid\nflowchart LR\n```");
    assert.equal(out, "# X\n\ntext\n\n<!-- graph:staging:start -->\n```mermaid\nflowchart LR\n```\n<!-- graph:staging:end -->\n\nafter\n");
    assert.equal(replaceReadmeBlock(out, "staging", "```mermaid\nflowchart LR\n```"), out, "idempotent");
    assert.throws(() => replaceReadmeBlock("# no markers\n", "staging", "x"), /has no <!-- graph:staging:start -->/);
  });

  it("`npm run graph -- --stack production --out <file>` writes the production diagram", function () {
    this.timeout(60_000);
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ws-graph-")), "production.mmd");
    try {
      const r = spawnSync(process.execPath, scriptCommand(ROOT, "graph", ["--stack", "production", "--out", out]), { cwd: ROOT, encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const graph = fs.readFileSync(out, "utf8");
      assert.ok(graph.includes('host_bot_example_com --> worker_bot'), graph);
      assert.ok(graph.includes('worker_bot["bot<br/>tg-bot"]'), graph);
    } finally {
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
    }
  });
});
