/**
 * "A second `pulumi up` changes nothing": the program evaluated in two fresh processes registers
 * exactly the same inputs — every resource, every input, bundle hashes included — and each
 * worker's `contentSha256` is the hash of an independent esbuild build of its entry, not just of
 * whatever file the program wrote.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as esbuild from "esbuild";
import { reveal } from "../harness/evaluate";
import { referenceSystem, ROOT, TYPES } from "./helpers";

type Registered = Record<string, { resources: Record<string, { inputs: Record<string, unknown>; dependencies: string[]; protect: boolean; importId: string }>; outputs: unknown }>;
const STACKS = ["staging", "production"];

function evaluateInChild(out: string): Promise<Registered> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", path.join("tests", "support", "evaluateInChild.ts"), out, ...STACKS],
      { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      (err, _stdout, stderr) => (err ? reject(new Error(`child failed: ${stderr}`)) : resolve(JSON.parse(fs.readFileSync(out, "utf8")) as Registered)),
    );
  });
}

/** The bundle of an entry built here, independently of the program, with the documented settings (README "Coming from wrangler": bundled with esbuild, deterministic). */
async function independentSha256(entry: string): Promise<string> {
  const r = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    external: ["cloudflare:*", "node:*"],
    outfile: path.join(os.tmpdir(), "independent", "worker.js"),
    charset: "utf8",
    legalComments: "none",
    sourcemap: false,
    logLevel: "silent",
  });
  return createHash("sha256").update(r.outputFiles[0]!.contents).digest("hex");
}

describe("determinism across processes (a second `up` changes nothing)", function () {
  this.timeout(180_000);
  let dir: string;
  let first: Registered;
  let second: Registered;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-determinism-"));
    [first, second] = await Promise.all([evaluateInChild(path.join(dir, "a.json")), evaluateInChild(path.join(dir, "b.json"))]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const stack of STACKS) {
    it(`${stack}: two fresh processes register the same resources with identical inputs, dependencies and outputs`, () => {
      const a = first[stack]!;
      const b = second[stack]!;
      assert.ok(Object.keys(a.resources).length >= 10, "the stack registered its resources");
      assert.deepEqual(Object.keys(b.resources).sort(), Object.keys(a.resources).sort());
      const differing = Object.keys(a.resources).filter((urn) => JSON.stringify(a.resources[urn]) !== JSON.stringify(b.resources[urn]));
      assert.deepEqual(differing, [], `resources whose inputs differ between processes:\n${differing.map((u) => `${u}\n  ${JSON.stringify(a.resources[u]).slice(0, 300)}\n  ${JSON.stringify(b.resources[u]).slice(0, 300)}`).join("\n")}`);
      assert.deepEqual(b.outputs, a.outputs);
    });

    it(`${stack}: every worker's contentSha256 is the hash of an independent build of its entry`, async () => {
      const system = referenceSystem();
      const scripts = Object.keys(first[stack]!.resources).filter((urn) => urn.includes(`${TYPES.script}::`));
      assert.equal(scripts.length, Object.keys(system.workers).length);
      for (const [key, worker] of Object.entries(system.workers as Record<string, { entry: string }>)) {
        const urn = Object.keys(first[stack]!.resources).find((u) => u.endsWith(`${TYPES.script}::${key}`))!;
        assert.ok(urn, `worker ${key} registered`);
        const inputs = reveal(first[stack]!.resources[urn]!.inputs) as { contentSha256: string; contentFile: string };
        const expected = await independentSha256(worker.entry);
        assert.equal(inputs.contentSha256, expected, `${key}: contentSha256 is not the hash of ${worker.entry} as built independently`);
        assert.equal(createHash("sha256").update(fs.readFileSync(path.resolve(ROOT, inputs.contentFile))).digest("hex"), expected, `${key}: the uploaded file is that build`);
      }
    });
  }
});
