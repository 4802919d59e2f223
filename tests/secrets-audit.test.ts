/**
 * Secrets audit: every `{ from: config }` secret of both reference stacks gets a sentinel value,
 * and the generated secrets get the values the mocks produce. None of them may appear outside a
 * Pulumi secret in a registered input, in a stack output, in a file the program or the local
 * runner writes (bundles, local state, D1's SQLite files, byte for byte), in a response of a
 * running worker, or in anything printed while they run.
 *
 * Each scanner is first shown to find a sentinel planted where it looks, so a pass means
 * "looked and found nothing", not "could not have found anything".
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Evaluation, isSecretValue, reveal, SECRET_SIG, SECRET_SIG_KEY } from "../harness/evaluate";
import { configSecretNames, LocalStack, startLocal } from "../local/runner";
import { evaluate, ofType, referenceSystem, ROOT, TYPES } from "./helpers";

const RUN = crypto.randomBytes(4).toString("hex");
/** A run-specific marker: nothing left over from another run or another test can contain it. */
const sentinelFor = (name: string) => `SENTINEL-${name}-${RUN}`;

// --- scanners ----------------------------------------------------------------------------------

/** The sentinels found in some bytes, as UTF-8 or UTF-16 (SQLite can store either). */
function sentinelsIn(bytes: Buffer, sentinels: string[]): string[] {
  return sentinels.filter((s) => bytes.includes(Buffer.from(s, "utf8")) || bytes.includes(Buffer.from(s, "utf16le")));
}

/** Every regular file below `dir` (none when it does not exist). */
function filesBelow(dir: string, skip: (p: string) => boolean = () => false): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (skip(p)) continue;
    if (entry.isDirectory()) out.push(...filesBelow(p, skip));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

/** `file: sentinel` for every sentinel found in any of the files. */
function scanFiles(files: string[], sentinels: string[]): string[] {
  const hits: string[] = [];
  for (const f of files) {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(f);
    } catch (e) {
      // Removed meanwhile by another process: nothing left to leak. Anything else is not "clean".
      if ((e as NodeJS.ErrnoException).code === "ENOENT") continue;
      hits.push(`${path.relative(ROOT, f)}: unreadable (${(e as NodeJS.ErrnoException).code ?? String(e)}), so not audited`);
      continue;
    }
    for (const s of sentinelsIn(bytes, sentinels)) hits.push(`${path.relative(ROOT, f)}: ${s}`);
  }
  return hits;
}

/** Files of the project written since `since` (ms), outside dependencies and git. */
function writtenSince(since: number): string[] {
  const skip = (p: string) => ["node_modules", ".git", ".tools"].includes(path.basename(p)) && path.dirname(p) === ROOT;
  return filesBelow(ROOT, skip).filter((f) => {
    try {
      return fs.statSync(f).mtimeMs >= since - 1000;
    } catch {
      return false;
    }
  });
}

/** A value with every Pulumi secret replaced by a marker: what is left is in plain sight. */
function redactSecrets(v: unknown): unknown {
  if (isSecretValue(v)) return "[secret]";
  if (Array.isArray(v)) return v.map(redactSecrets);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactSecrets(x)]));
  return v;
}

/**
 * `urn: sentinel` for every sentinel visible in a registered input outside a Pulumi secret, or in
 * a worker binding other than the `text` of a `secret_text` one. The second check matters because
 * the engine receives a script's whole `bindings` list as one secret as soon as one binding is
 * secret: a secret value copied into a plain var would hide inside that wrapper.
 */
function plainInputLeaks(ev: Pick<Evaluation, "resources">, sentinels: string[]): string[] {
  const leaks = new Set<string>();
  for (const r of ev.resources) {
    for (const s of sentinelsIn(Buffer.from(JSON.stringify(redactSecrets(r.inputs))), sentinels)) leaks.add(`${r.urn}: ${s}`);
    const bindings = (reveal(r.inputs) as { bindings?: unknown }).bindings;
    if (r.type !== TYPES.script || !Array.isArray(bindings)) continue;
    for (const b of bindings as { type?: unknown; text?: unknown }[]) {
      const visible = b.type === "secret_text" ? { ...b, text: "[secret_text]" } : b;
      for (const s of sentinelsIn(Buffer.from(JSON.stringify(visible)), sentinels)) leaks.add(`${r.urn}: ${s}`);
    }
  }
  return [...leaks].sort();
}

/** Runs `fn` with everything written to stdout and stderr captured (and kept off the test output). */
async function capturing<T>(fn: () => Promise<T>): Promise<{ value: T; output: string }> {
  const chunks: string[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  const capture = (chunk: unknown, ...rest: unknown[]) => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
    const cb = rest.find((x) => typeof x === "function") as (() => void) | undefined;
    cb?.();
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    const value = await fn();
    return { value, output: chunks.join("") };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** The values of every secret_text binding the program sent: config sentinels and generated secrets. */
function secretBindingValues(ev: Evaluation): Record<string, string> {
  const out: Record<string, string> = {};
  for (const script of ofType(ev, TYPES.script)) {
    for (const b of (reveal(script.inputs) as { bindings: { name: string; type: string; text?: unknown }[] }).bindings) {
      if (b.type === "secret_text") out[b.name] = String(b.text);
    }
  }
  return out;
}

const BUILD = path.join(ROOT, ".workers-stack", "build");

// --- the audit ---------------------------------------------------------------------------------

describe("secrets audit", function () {
  this.timeout(180_000);

  describe("the scanners find a planted sentinel", () => {
    const planted = sentinelFor("PLANTED");
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-audit-plant-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("in a text file deep in a folder, and in binary files (UTF-8 and UTF-16)", () => {
      fs.mkdirSync(path.join(dir, "a", "b"), { recursive: true });
      fs.writeFileSync(path.join(dir, "a", "b", "bundle.js"), `const x = "${planted}";`);
      fs.writeFileSync(path.join(dir, "db.sqlite"), Buffer.concat([crypto.randomBytes(4096), Buffer.from(planted, "utf8"), crypto.randomBytes(4096)]));
      fs.writeFileSync(path.join(dir, "db16.sqlite"), Buffer.concat([crypto.randomBytes(100), Buffer.from(planted, "utf16le")]));
      fs.writeFileSync(path.join(dir, "clean.txt"), "nothing here");
      const hits = scanFiles(filesBelow(dir), [planted]);
      assert.equal(hits.length, 3, hits.join("\n"));
    });

    it("and an unreadable file is reported, never counted as clean", function () {
      if (process.getuid?.() === 0) {
        // root reads a 000 file anyway: make it unreadable as a folder in its place instead.
        fs.mkdirSync(path.join(dir, "locked.sqlite"));
      } else {
        fs.writeFileSync(path.join(dir, "locked.sqlite"), planted);
        fs.chmodSync(path.join(dir, "locked.sqlite"), 0o000);
      }
      const hits = scanFiles([path.join(dir, "locked.sqlite"), path.join(dir, "gone.sqlite")], [planted]);
      assert.equal(hits.length, 1, hits.join("\n"));
      assert.match(hits[0]!, /locked\.sqlite: unreadable \((EACCES|EISDIR)\), so not audited/);
    });

    it("in a file of the project written after a point in time", () => {
      const since = Date.now();
      const file = path.join(BUILD, `audit-plant-${RUN}.txt`);
      fs.mkdirSync(BUILD, { recursive: true });
      fs.writeFileSync(file, planted);
      try {
        assert.ok(writtenSince(since).includes(file));
        assert.equal(scanFiles(filesBelow(BUILD), [planted]).length, 1);
      } finally {
        fs.rmSync(file);
      }
    });

    it("in a registered input outside a secret or in a plain binding, and not inside a secret", () => {
      const resources = [
        { urn: "urn:a", type: TYPES.d1, inputs: { name: `prefix ${planted}` } },
        { urn: "urn:b", type: TYPES.script, inputs: { bindings: [{ name: "X", type: "secret_text", text: { [SECRET_SIG_KEY]: SECRET_SIG, value: planted } }] } },
        { urn: "urn:c", type: TYPES.d1, inputs: { name: { [SECRET_SIG_KEY]: SECRET_SIG, value: planted } } },
        { urn: "urn:d", type: TYPES.script, inputs: { bindings: { [SECRET_SIG_KEY]: SECRET_SIG, value: [{ name: "Y", type: "plain_text", text: planted }] } } },
      ] as unknown as Evaluation["resources"];
      assert.deepEqual(plainInputLeaks({ resources }, [planted]), [`urn:a: ${planted}`, `urn:d: ${planted}`]);
    });

    it("in console output, written with console.log or straight to stderr", async () => {
      const { output } = await capturing(async () => {
        console.log(`a line with ${planted}`);
        process.stderr.write(Buffer.from(`bytes ${planted}`));
      });
      assert.equal(output.split(planted).length, 3);
    });

    it("in the inputs the real program registers: a secret value copied into a plain var", async () => {
      const sentinel = sentinelFor("OPENAI_API_KEY-leak");
      const system = referenceSystem();
      system.workers.admin.vars = { UPSTREAM_HINT: sentinel };
      const { value: ev } = await capturing(() => evaluate("staging", { system, secrets: { OPENAI_API_KEY: sentinel, TELEGRAM_BOT_TOKEN: sentinelFor("TELEGRAM_BOT_TOKEN-leak") } }));
      assert.equal(ev.error, undefined, ev.error?.message);
      assert.deepEqual(plainInputLeaks(ev, [sentinel]), [ofType(ev, TYPES.script).find((r) => r.name === "admin")!.urn + `: ${sentinel}`]);
    });
  });

  for (const stack of ["staging", "production"]) {
    describe(`the program, stack ${stack}`, () => {
      const names = configSecretNames(ROOT, stack);
      /** The Cloudflare token as `pulumi config set --secret cloudflare:apiToken` stores it: the migration step gets it. */
      const apiToken = sentinelFor("cloudflare-apiToken");
      const sentinels: Record<string, string> = { ...Object.fromEntries(names.map((n) => [n, sentinelFor(n)])), "cloudflare:apiToken": apiToken };
      let ev: Evaluation;
      let output: string;
      let started: number;
      let all: string[];

      before(async () => {
        started = Date.now();
        ({ value: ev, output } = await capturing(() => evaluate(stack, { secrets: sentinels })));
        assert.equal(ev.error, undefined, ev.error?.message);
        all = [...Object.values(secretBindingValues(ev)), apiToken];
      });

      it("hands cloudflare:apiToken to the migration step in its environment, as a secret", () => {
        const migrations = ofType(ev, TYPES.command).filter((c) => c.name.endsWith("-migrations"));
        assert.ok(migrations.length >= 1);
        for (const cmd of migrations) {
          const env = cmd.inputs.environment as Record<string, unknown>;
          assert.ok(isSecretValue(env) || isSecretValue(env.CLOUDFLARE_API_TOKEN), `${cmd.name}: the token stays a secret`);
          assert.equal((reveal(env) as Record<string, string>).CLOUDFLARE_API_TOKEN, apiToken, `${cmd.name}: the token reaches the step`);
        }
      });

      it("no secret value on any command line (interpreter, create, update, delete), even wrapped as a secret: secrets travel in the environment", () => {
        const commands = ofType(ev, TYPES.command);
        assert.ok(commands.length >= 2);
        const leaks = commands.flatMap((c) =>
          ["interpreter", "create", "update", "delete"].flatMap((k) => sentinelsIn(Buffer.from(JSON.stringify(reveal(c.inputs[k]) ?? null)), all).map((x) => `${c.name}.${k}: ${x}`)),
        );
        assert.deepEqual(leaks, []);
      });

      it("gives every config secret a sentinel, and each reaches a worker as a secret binding, beside the generated ones", () => {
        assert.ok(names.length >= 2, `config secrets of ${stack}: ${names.join(", ")}`);
        const values = secretBindingValues(ev);
        for (const name of names) assert.equal(values[name], sentinels[name], `${name} reached a worker`);
        assert.ok(!Object.values(values).includes(apiToken), "the Cloudflare token is no worker's secret");
        const generated = ofType(ev, TYPES.password).map((p) => p.name);
        assert.ok(generated.length >= 1);
        for (const name of generated) assert.match(values[name] ?? "", /^[A-Za-z0-9]{16,}$/, `generated ${name} reached a worker`);
        assert.ok(all.every((v) => v.length >= 16), "every audited value is long enough to be unmistakable");
      });

      it("no secret value in any registered input outside a Pulumi secret or a secret_text binding", () => {
        assert.deepEqual(plainInputLeaks(ev, all), []);
      });

      it("no secret value in the stack outputs", () => {
        assert.ok(ev.outputs !== undefined);
        assert.deepEqual(sentinelsIn(Buffer.from(JSON.stringify(ev.outputs)), all), []);
      });

      it("no secret value in any file the program wrote (.workers-stack/build, and anything else written meanwhile)", () => {
        const bundles = filesBelow(path.join(BUILD, stack));
        assert.ok(bundles.some((f) => f.endsWith("worker.js")), "the bundles were scanned");
        assert.deepEqual(scanFiles([...new Set([...filesBelow(BUILD), ...writtenSince(started)])], all), []);
      });

      it("no secret value in what the evaluation printed", () => {
        assert.deepEqual(sentinelsIn(Buffer.from(output), all), []);
      });
    });
  }

  for (const stack of ["staging", "production"]) {
    describe(`the local runner, stack ${stack}`, () => {
      const names = configSecretNames(ROOT, stack);
      const sentinels = Object.fromEntries(names.map((n) => [n, sentinelFor(`${n}-local`)]));
      /** Stored through the bot into D1: proves the SQLite files are really scanned. */
      const planted = sentinelFor(`PLANTED-${stack}`);
      let state: string;
      let local: LocalStack | undefined;
      let logLines: string[];
      let output: string;
      let responses: string[];
      let started: number;
      let all: string[];

      before(async () => {
        state = fs.mkdtempSync(path.join(os.tmpdir(), "ws-audit-local-"));
        logLines = [];
        responses = [];
        started = Date.now();
        ({ output } = await capturing(async () => {
          local = await startLocal({ root: ROOT, stack, port: 0, stateDir: state, fresh: true, secrets: sentinels, log: (l) => logLines.push(l) });
          const values = secretBindingValues(local.evaluation);
          const bot = local.workers.find((w) => w.key === "bot")!;
          const admin = local.workers.find((w) => w.key === "admin")!;
          const call = async (url: string, init?: RequestInit) => {
            const res = await fetch(url, init);
            const text = await res.text();
            responses.push(text);
            return { status: res.status, text };
          };
          for (const w of local.workers) await call(`${w.url}/health`);
          const update = { update_id: 1, message: { text: planted, chat: { id: 42 }, from: { id: 420, username: "audit", first_name: "Audit" } } };
          const hook = await call(`${bot.url}/telegram/webhook`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": values.TELEGRAM_WEBHOOK_SECRET! },
            body: JSON.stringify(update),
          });
          assert.equal(hook.status, 200, hook.text);
          await call(`${bot.url}/admin/envz`, { headers: { authorization: `Bearer ${values.ADMIN_TOKEN}` } });
          await call(`${admin.url}/admin/conversations`, { headers: { authorization: `Bearer ${values.ADMIN_TOKEN}` } });
          await local.dispose();
        }));
        all = Object.values(secretBindingValues(local!.evaluation));
      });
      after(() => fs.rmSync(state, { recursive: true, force: true }));

      it("ran the workers with the sentinels as their secrets", () => {
        const values = secretBindingValues(local!.evaluation);
        for (const [name, sentinel] of Object.entries(sentinels)) assert.equal(values[name], sentinel);
        assert.ok(all.length >= names.length + 1 && all.every((v) => v.length >= 16));
      });

      it("no secret value in any file of its state (SQLite included) or of the build folder; the planted message is found in D1", () => {
        const stateFiles = filesBelow(state);
        assert.ok(stateFiles.some((f) => f.endsWith(".sqlite")), `D1's SQLite files are among the scanned: ${stateFiles.map((f) => path.relative(state, f)).join(", ")}`);
        assert.ok(scanFiles(stateFiles, [planted]).length > 0, "the message stored through the bot is found in the state files");
        assert.deepEqual(scanFiles([...stateFiles, ...filesBelow(BUILD), ...writtenSince(started)], all), []);
      });

      it("no secret value in its log, in anything printed while it ran, or in the workers' responses", () => {
        assert.deepEqual(sentinelsIn(Buffer.from(logLines.join("\n")), all), []);
        assert.deepEqual(sentinelsIn(Buffer.from(output), all), []);
        assert.ok(responses.length >= 4 && responses.some((r) => r.includes(planted)), "the responses were captured (admin returns the planted message)");
        assert.deepEqual(sentinelsIn(Buffer.from(responses.join("\n")), all), []);
      });
    });
  }
});
