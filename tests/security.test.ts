/**
 * The security review of issue 15, as tests that fail without the fix: no value of the
 * declaration reaches a shell, paths and stack names cannot leave the project, `--fresh` only
 * deletes the project's own local state, that state is readable by its owner only, and the bot
 * token is only ever sent over https.
 */
import * as assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MIGRATE_REMOTE, migrateInterpreter, parseMigrateCommand } from "../components/commands";
import { migrationsHash } from "../components/database";
import { fileFacts } from "../config/load";
import { isSafeApiBase } from "../config/schema";
import { projectPathProblem } from "../config/validate";
import { checkStackName } from "../config/names";
import { readStackConfig } from "../harness/pulumiConfig";
import { startLocal } from "../local/runner";
import { prepareStateDir, STATE_MARKER } from "../local/state";
import { evaluate, one, referenceSystem, ROOT, TYPES } from "./helpers";

/** Runs a registered local.Command the way the command provider does: `[...interpreter, command]`, no shell. */
function runLikeProvider(inputs: { interpreter?: unknown; create?: unknown }, cwd: string, env: Record<string, string> = {}) {
  const argv = [...((inputs.interpreter as string[] | undefined) ?? ["/bin/sh", "-c"]), String(inputs.create)];
  return spawnSync(argv[0] === "node" ? process.execPath : argv[0]!, argv.slice(1), { cwd, encoding: "utf8", env: { ...process.env, ...env } });
}

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

describe("security: deploy-time commands run without a shell", () => {
  it("register the migration and webhook commands as argument vectors, never a shell string", async () => {
    const ev = await evaluate("staging");
    for (const name of ["main-migrations", "bot-telegram"]) {
      const inputs = one(ev, TYPES.command, name).inputs as { interpreter?: unknown; create?: unknown };
      assert.ok(Array.isArray(inputs.interpreter), `${name}: an interpreter argv, not the default /bin/sh -c`);
      assert.equal((inputs.interpreter as string[])[0], "node");
      assert.ok(!(inputs.interpreter as string[]).some((a) => a === "-c" || a.endsWith("sh")), `${name}: no shell in ${JSON.stringify(inputs.interpreter)}`);
      assert.match(String(inputs.create), /^[a-z-]+$/, `${name}: the command is one plain argument`);
    }
  });

  it("a hostile migrations value stays one argument: its payload never runs", () => {
    const dir = tmp("ws-inject-");
    try {
      const hostile = "migrations/main;touch PWNED;true";
      const inputs = { interpreter: migrateInterpreter({ database: "tg-main-staging", id: "0123", migrations: hostile }), create: MIGRATE_REMOTE };
      // Run from ROOT (the script path is relative to it), with the canary's folder as the target of `touch`.
      const r = runLikeProvider({ ...inputs, interpreter: (inputs.interpreter as string[]).map((a) => (a === hostile ? path.join(dir, hostile) : a)) }, ROOT, {
        CLOUDFLARE_API_TOKEN: "",
        CLOUDFLARE_ACCOUNT_ID: "",
      });
      assert.notEqual(r.status, 0, "d1-migrate refuses: the folder does not exist");
      assert.match(r.stderr, /migrations folder .*main;touch PWNED;true does not exist/);
      assert.ok(!fs.existsSync(path.join(ROOT, "PWNED")) && !fs.existsSync(path.join(dir, "PWNED")), "the payload ran");
      // The same value in the old shell form would have run it: the test can tell the difference.
      const shell = spawnSync("/bin/sh", ["-c", `cd ${dir} && echo ${hostile}`], { encoding: "utf8" });
      assert.equal(shell.status, 0);
      assert.ok(fs.existsSync(path.join(dir, "PWNED")), "control: a shell runs the payload");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the local runner reads back only our own migration argv", () => {
    const interpreter = migrateInterpreter({ database: "d", id: "i", migrations: "m" });
    assert.deepEqual(parseMigrateCommand({ interpreter, create: "--remote" }, "/s")?.slice(-3), ["--local", "--persist-to", "/s"]);
    assert.equal(parseMigrateCommand({ interpreter: ["/bin/sh", "-c"], create: "node components/d1-migrate.js --remote" }, "/s"), undefined);
    assert.equal(parseMigrateCommand({ interpreter: ["node", "scripts/evil.js"], create: "--remote" }, "/s"), undefined);
    assert.equal(parseMigrateCommand({ interpreter: [...interpreter, 1], create: "--remote" }, "/s"), undefined);
    assert.equal(parseMigrateCommand({ interpreter: ["python3", ...interpreter.slice(1)], create: "--remote" }, "/s"), undefined, "only node runs it");
    assert.equal(parseMigrateCommand({ interpreter: ["node"], create: "--remote" }, "/s"), undefined, "no script");
    assert.equal(parseMigrateCommand({ interpreter: "node components/d1-migrate.js", create: "--remote" }, "/s"), undefined, "a string is not an argv");
  });

  it("the migrations hash covers the .sql files by name and bytes, nothing else", () => {
    const dir = tmp("ws-hash-");
    try {
      fs.writeFileSync(path.join(dir, "0001_a.sql"), "CREATE TABLE a (x);\n");
      fs.writeFileSync(path.join(dir, "0002_b.sql"), "CREATE TABLE b (x);\n");
      const h = migrationsHash(dir);
      assert.match(h, /^[0-9a-f]{64}$/);
      fs.writeFileSync(path.join(dir, "README.md"), "notes");
      assert.equal(migrationsHash(dir), h, "a file that is not a migration changes nothing");
      fs.writeFileSync(path.join(dir, "0002_b.sql"), "CREATE TABLE b (y);\n");
      assert.notEqual(migrationsHash(dir), h, "a changed migration changes the hash");
      fs.writeFileSync(path.join(dir, "0002_b.sql"), "CREATE TABLE b (x);\n");
      assert.equal(migrationsHash(dir), h);
      fs.renameSync(path.join(dir, "0002_b.sql"), path.join(dir, "0003_b.sql"));
      assert.notEqual(migrationsHash(dir), h, "a renamed migration changes the hash");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("d1-migrate refuses values that are not what they claim to be", () => {
    const { parseArgs } = require("../components/d1-migrate.js") as { parseArgs(a: string[]): unknown };
    const base = { database: "tg-main", id: "8d3c5a1e-0b7f-4c2a-9e6d-3f1b2a4c5d6e", migrations: "migrations/main" };
    const argv = (o: Record<string, string>) => ["--database", o.database!, "--id", o.id!, "--migrations", o.migrations!, "--remote"];
    assert.doesNotThrow(() => parseArgs(argv(base)));
    assert.throws(() => parseArgs(argv({ ...base, database: "tg-main;rm -rf ~" })), /--database "tg-main;rm -rf ~" is not a D1 database name/);
    assert.throws(() => parseArgs(argv({ ...base, database: "--remote" })), /needs a value/);
    assert.throws(() => parseArgs(argv({ ...base, id: "$(id)" })), /--id "\$\(id\)" is not a D1 database id/);
    assert.throws(() => parseArgs(argv({ ...base, migrations: "-rf" })), /--migrations "-rf" is not a folder path/);
    assert.throws(() => parseArgs(argv({ ...base, migrations: "a\nb" })), /is not a folder path/);
  });
});

describe("security: paths and stack names stay inside the project", () => {
  it("a declared path is a plain relative path inside the project", () => {
    for (const ok of ["workers/bot/index.ts", "./workers/bot/index.ts", "migrations/main/", "src/@scope/a+b_c-d.v2.ts", "a", ".workers-stack/fixtures/x.ts", "a/./b.ts"]) assert.equal(projectPathProblem(ok), undefined, ok);
    const cases: [string, RegExp][] = [
      ["/etc/hostname", /is an absolute path/],
      ["C:/Users/x/index.ts", /is an absolute path/],
      ["../x.ts", /leaves the project root/],
      ["a/../../x.ts", /leaves the project root/],
      ["./..", /leaves the project root/],
      ["a;touch x", /not a plain relative path/],
      ["a/$(id).ts", /not a plain relative path/],
      ["a//b.ts", /not a plain relative path/],
      ["-rf/x.ts", /not a plain relative path/],
      ["a\\b.ts", /not a plain relative path/],
      ["", /not a plain relative path/],
    ];
    for (const [bad, why] of cases) assert.match(projectPathProblem(bad) ?? "accepted", why, JSON.stringify(bad));
  });

  it("the bot token goes to https, or plain http on a loopback address only", () => {
    for (const ok of ["https://api.telegram.org", "https://tg.example.com:8443/base", "http://127.0.0.1:8081", "http://localhost:9000", "http://[::1]:9000"]) assert.equal(isSafeApiBase(ok), true, ok);
    for (const bad of ["http://api.telegram.org", "ftp://api.telegram.org", "http://10.0.0.1", "http://127.0.0.1.nip.io", "https://user:pw@api.telegram.org", "https://user@api.telegram.org", "not a url", "file:///etc/passwd"])
      assert.equal(isSafeApiBase(bad), false, bad);
  });

  it("an entry that is a symlink out of the project is refused", () => {
    const root = tmp("ws-link-");
    const outside = tmp("ws-outside-");
    try {
      fs.writeFileSync(path.join(outside, "secret.ts"), "export default {};\n");
      fs.mkdirSync(path.join(root, "workers"));
      fs.symlinkSync(path.join(outside, "secret.ts"), path.join(root, "workers", "index.ts"));
      fs.writeFileSync(path.join(root, "workers", "real.ts"), "export default {};\n");
      const facts = fileFacts(root);
      assert.equal(facts.insideProject!("workers/index.ts"), false);
      assert.equal(facts.insideProject!("workers/real.ts"), true);
      assert.equal(facts.insideProject!("workers/missing.ts"), true, "a missing file is reported as missing, not as outside");
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it("a symlinked entry out of the project fails the program, registering nothing", async () => {
    const outside = tmp("ws-outside-");
    const link = path.join(ROOT, "workers", "admin", `escape-${process.pid}.ts`);
    fs.writeFileSync(path.join(outside, "hostname.ts"), "export default {};\n");
    fs.symlinkSync(path.join(outside, "hostname.ts"), link);
    try {
      const system = referenceSystem();
      system.workers.admin.entry = path.relative(ROOT, link).split(path.sep).join("/");
      const ev = await evaluate("staging", { system });
      assert.ok(ev.error);
      assert.match(ev.error.message, /system\.workers\.admin\.entry: ".*escape-\d+\.ts" resolves \(through a symlink\) outside the project root/);
      assert.deepEqual(ev.resources, []);
    } finally {
      fs.rmSync(link, { force: true });
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it("stack names are checked wherever one is taken", () => {
    for (const good of ["staging", "production", "pr-42", "dev_1", "v1.2"]) assert.equal(checkStackName(good), good);
    for (const bad of ["../../..", "..", ".", "a/b", "a\\b", "", ".hidden", "x".repeat(101), "st ag"])
      assert.throws(() => checkStackName(bad), /is not a stack name: use letters, digits/, JSON.stringify(bad));
    assert.throws(() => readStackConfig(ROOT, "../../.."), /"\.\.\/\.\.\/\.\." is not a stack name/);
  });

  it("npm start --stack ../../.. --fresh deletes nothing", async () => {
    const root = tmp("ws-fresh-");
    try {
      fs.mkdirSync(path.join(root, "project"));
      fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(root, "project", "Pulumi.yaml"));
      fs.writeFileSync(path.join(root, "canary"), "must survive\n");
      // <project>/.workers-stack/local/../../.. is the project itself.
      await assert.rejects(startLocal({ root: path.join(root, "project"), stack: "../../..", fresh: true, log: () => undefined }), /is not a stack name/);
      assert.ok(fs.existsSync(path.join(root, "project", "Pulumi.yaml")));
      assert.ok(fs.existsSync(path.join(root, "canary")));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("the CLI refuses a stack name that is a path, before touching anything", () => {
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "local/start.ts", "--stack", "../../..", "--fresh"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /"\.\.\/\.\.\/\.\." is not a stack name/);
    assert.ok(fs.existsSync(path.join(ROOT, "Pulumi.yaml")));
  });
});

describe("security: local state", () => {
  it("--fresh only deletes the project's own local state", () => {
    const root = tmp("ws-state-");
    try {
      const own = path.join(root, ".workers-stack", "local", "staging");
      prepareStateDir(root, own, false);
      fs.writeFileSync(path.join(own, "data"), "x");
      prepareStateDir(root, own, true);
      assert.ok(!fs.existsSync(path.join(own, "data")), "own state is wiped");

      const someone = path.join(root, "documents");
      fs.mkdirSync(someone);
      fs.writeFileSync(path.join(someone, "thesis.txt"), "years of work");
      assert.throws(() => prepareStateDir(root, someone, true), /--fresh would delete .*documents, which is not local state of this project/);
      assert.ok(fs.existsSync(path.join(someone, "thesis.txt")));
      assert.throws(() => prepareStateDir(root, root, true), /not local state of this project/, "nor the project itself");

      // A --state folder the runner created before (it carries the marker) may be wiped.
      const elsewhere = path.join(root, "state-elsewhere");
      prepareStateDir(root, elsewhere, false);
      assert.ok(fs.existsSync(path.join(elsewhere, STATE_MARKER)));
      fs.writeFileSync(path.join(elsewhere, "data"), "x");
      prepareStateDir(root, elsewhere, true);
      assert.ok(!fs.existsSync(path.join(elsewhere, "data")));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("is readable by its owner only, also when it existed before", () => {
    const root = tmp("ws-mode-");
    try {
      const dir = path.join(root, ".workers-stack", "local", "staging");
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
      fs.chmodSync(dir, 0o755);
      prepareStateDir(root, dir, false);
      assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
      const fresh = path.join(root, "other");
      prepareStateDir(root, fresh, false);
      assert.equal(fs.statSync(fresh).mode & 0o777, 0o700);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("security: the bot token only travels over https", () => {
  const runScript = (base: string) =>
    new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["components/telegram-webhook.js", "delete"],
        { cwd: ROOT, encoding: "utf8", env: { ...process.env, TELEGRAM_API_BASE: base, TELEGRAM_BOT_TOKEN: "123456:secret-token-value" } },
        (err, _stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });

  it("the webhook script refuses a non-https API before sending anything", async () => {
    for (const base of ["http://api.telegram.org", "ftp://api.telegram.org", "http://10.0.0.1:8081"]) {
      const r = await runScript(base);
      assert.equal(r.code, 2, base);
      assert.match(r.stderr, /the bot token may only be sent over https/);
      assert.ok(!r.stderr.includes("secret-token-value"), "the token is not printed");
    }
  });
});
