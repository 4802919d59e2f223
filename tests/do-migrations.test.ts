/**
 * Durable Object migrations: declared histories are checked before anything is created, and each
 * `up` sends only the steps after the script's live tag — tested against a local fake of the
 * Cloudflare endpoints involved, which enforces the tag precondition (code 10079).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pendingMigrations, readDoMigrationsCommand } from "../components/doMigrations";
import { buildWorkers } from "../local/workerOptions";
import { evaluate, one, ofType, reveal, TYPES } from "./helpers";
import { ACCOUNT, type ApiMigrations, CODE, FakeCloudflare, PROJECT, TOKEN, up, writeProject } from "./support/doFakeCloudflare";

describe("Durable Object migrations", () => {
  describe("pendingMigrations (what an upload carries)", () => {
    const history = [
      { tag: "v1", newSqliteClasses: ["A"] },
      { tag: "v2", newSqliteClasses: ["B"] },
      { tag: "v3", renamedClasses: [{ from: "B", to: "C" }] },
    ];
    it("a new script gets the whole history, without oldTag", () => {
      assert.deepEqual(pendingMigrations(history, undefined), { newTag: "v3", steps: [{ newSqliteClasses: ["A"] }, { newSqliteClasses: ["B"] }, { renamedClasses: [{ from: "B", to: "C" }] }] });
    });
    it("a script at v1 gets only v2 and v3, with oldTag v1", () => {
      assert.deepEqual(pendingMigrations(history, "v1"), { oldTag: "v1", newTag: "v3", steps: [{ newSqliteClasses: ["B"] }, { renamedClasses: [{ from: "B", to: "C" }] }] });
    });
    it("a script at the last tag gets nothing", () => {
      assert.equal(pendingMigrations(history, "v3"), null);
    });
    it("a tag the history does not hold is refused (wrangler would replay every step)", () => {
      assert.throws(() => pendingMigrations(history, "v9", "do-api-staging"), /do-api-staging is at Durable Object migration tag "v9", which its declared history \(v1, v2, v3\) does not contain/);
    });
  });

  describe("validation of the declared history", () => {
    async function problems(worker: Record<string, unknown>): Promise<{ message: string; registered: number }> {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-do-"));
      writeProject(dir, worker, CODE(1, ["A", "B"]));
      const ev = await evaluate("staging", { root: dir, secrets: {} });
      return { message: ev.error?.message ?? "", registered: ev.resources.filter((r) => r.custom).length };
    }

    it("classes without a history: an error naming the step to add, nothing registered", async () => {
      const r = await problems({ durableObjects: { A: {}, B: { sqlite: false } } });
      assert.match(r.message, /system\.workers\.api\.durableObjectMigrations: the worker hosts Durable Object classes \(A, B\) but declares no migration history/);
      assert.match(r.message, /- \{ tag: v1, newSqliteClasses: \[A\], newClasses: \[B\] \}/);
      assert.equal(r.registered, 0);
    });

    it("a class added to durableObjects without a step: names the step with the next tag", async () => {
      const r = await problems({ durableObjects: { A: {}, B: {} }, durableObjectMigrations: [{ tag: "v1", newSqliteClasses: ["A"] }] });
      assert.match(r.message, /durableObjects hosts B, which no migration step creates/);
      assert.match(r.message, /- \{ tag: v2, newSqliteClasses: \[B\] \}/);
      assert.equal(r.registered, 0);
    });

    it("a class removed from durableObjects without a step: offers deletion or rename", async () => {
      const r = await problems({ durableObjects: { A: {} }, durableObjectMigrations: [{ tag: "v1", newSqliteClasses: ["A", "B"] }] });
      assert.match(r.message, /the script still has B, which durableObjects does not host/);
      assert.match(r.message, /\{ tag: v2, deletedClasses: \[B\] \}/);
    });

    it("steps on classes that do not exist, duplicate tags, empty steps, storage mismatch, unknown transfer source", async () => {
      const r = await problems({
        durableObjects: { A: { sqlite: false }, C: {} },
        durableObjectMigrations: [
          { tag: "v1", newSqliteClasses: ["A"] },
          { tag: "v1", renamedClasses: [{ from: "X", to: "C" }] },
          { tag: "v3" },
          { tag: "v4", deletedClasses: ["Y"], transferredClasses: [{ from: "Z", fromWorker: "ghost", to: "D" }] },
          { tag: "v5", deletedClasses: ["D"] },
        ],
      });
      assert.match(r.message, /durableObjectMigrations\.1\.tag: tag "v1" is used by an earlier step/);
      assert.match(r.message, /durableObjectMigrations\.1\.renamedClasses\.0\.from: class X does not exist at this step/);
      assert.match(r.message, /durableObjectMigrations\.2: the step changes nothing/);
      assert.match(r.message, /durableObjectMigrations\.3\.deletedClasses\.0: class Y does not exist at this step/);
      assert.match(r.message, /durableObjectMigrations\.3\.transferredClasses\.0\.fromWorker: worker "ghost" is not declared/);
      assert.match(r.message, /durableObjects\.A: class A is created with SQLite storage by its migration step but declared sqlite: false/);
      assert.equal(r.registered, 0);
    });

    it("a valid history with a rename, a deletion and a transfer from another worker passes", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-do-"));
      writeProject(dir, {}, CODE(1, []));
      const system = {
        app: "do",
        zone: "example.com",
        compatibilityDate: "2025-09-01",
        workers: {
          old: { entry: "workers/api/index.ts" },
          api: {
            entry: "workers/api/index.ts",
            durableObjects: { C: {}, T: {} },
            durableObjectMigrations: [
              { tag: "v1", newSqliteClasses: ["A", "B"] },
              { tag: "v2", renamedClasses: [{ from: "B", to: "C" }], deletedClasses: ["A"] },
              { tag: "v3", transferredClasses: [{ from: "S", fromWorker: "old", to: "T" }] },
            ],
          },
        },
      };
      const ev = await evaluate("staging", { root: dir, system, secrets: {} });
      assert.equal(ev.error, undefined, ev.error?.message);
      const args = readDoMigrationsCommand(reveal(one(ev, TYPES.command, "api-do-migrations").inputs) as Record<string, unknown>);
      assert.deepEqual(args?.history[2], { tag: "v3", transferredClasses: [{ from: "S", fromScript: "do-old-staging", to: "T" }] }, "fromWorker resolves to that worker's script on this stack");
    });
  });

  describe("against a fake Cloudflare API that enforces the tag precondition (10079)", () => {
    const fake = new FakeCloudflare();
    before(() => fake.start());
    after(() => fake.stop());

    it("create → code change → nothing → add class → rename → delete: every up passes and no step is sent twice", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-do-seq-"));
      const script = "do-api-staging";
      const v1 = [{ tag: "v1", newSqliteClasses: ["Counter"] }];

      // 1. create: the whole history.
      writeProject(dir, { durableObjects: { Counter: {} }, durableObjectMigrations: v1, bindings: { COUNTER: { durableObject: "Counter" } } }, CODE(1, ["Counter"]));
      let r = await up(dir, fake);
      assert.deepEqual(r.migrations, { newTag: "v1", steps: [{ newSqliteClasses: ["Counter"] }] });
      assert.equal(fake.scripts.get(script)?.tag, "v1");

      // 2. a code change: the command runs again, reads v1, and the upload carries no migration.
      writeProject(dir, { durableObjects: { Counter: {} }, durableObjectMigrations: v1, bindings: { COUNTER: { durableObject: "Counter" } } }, CODE(2, ["Counter"]));
      r = await up(dir, fake, r.state);
      assert.equal(r.uploaded, true);
      assert.equal(r.migrations, undefined);

      // 3. nothing changed: nothing runs, nothing is uploaded.
      const reads = fake.reads.length;
      r = await up(dir, fake, r.state);
      assert.equal(r.uploaded, false);
      assert.equal(fake.reads.length, reads, "the command did not run");

      // 4. a new class: only v2, checked against v1.
      const v2 = [...v1, { tag: "v2", newClasses: ["Presence"] }];
      writeProject(dir, { durableObjects: { Counter: {}, Presence: { sqlite: false } }, durableObjectMigrations: v2, bindings: { COUNTER: { durableObject: "Counter" }, PRESENCE: { durableObject: "Presence" } } }, CODE(3, ["Counter", "Presence"]));
      r = await up(dir, fake, r.state);
      assert.deepEqual(r.migrations, { oldTag: "v1", newTag: "v2", steps: [{ newClasses: ["Presence"] }] });
      assert.deepEqual([...fake.scripts.get(script)!.classes], [["Counter", "sqlite"], ["Presence", "kv"]]);

      // 4b. right after that migration, a change of a var only (same code): the command runs again
      // (the trigger covers every declared input, not just the code) and nothing is re-sent.
      writeProject(dir, { vars: { MODE: "b" }, durableObjects: { Counter: {}, Presence: { sqlite: false } }, durableObjectMigrations: v2, bindings: { COUNTER: { durableObject: "Counter" }, PRESENCE: { durableObject: "Presence" } } }, CODE(3, ["Counter", "Presence"]));
      r = await up(dir, fake, r.state);
      assert.equal(r.uploaded, true);
      assert.equal(r.migrations, undefined);

      // 5. a rename keeps the data (storage follows the class).
      const v3 = [...v2, { tag: "v3", renamedClasses: [{ from: "Counter", to: "Tally" }] }];
      writeProject(dir, { durableObjects: { Tally: {}, Presence: { sqlite: false } }, durableObjectMigrations: v3, bindings: { TALLY: { durableObject: "Tally" }, PRESENCE: { durableObject: "Presence" } } }, CODE(4, ["Tally", "Presence"]));
      r = await up(dir, fake, r.state);
      assert.deepEqual(r.migrations, { oldTag: "v2", newTag: "v3", steps: [{ renamedClasses: [{ from: "Counter", to: "Tally" }] }] });
      assert.deepEqual([...fake.scripts.get(script)!.classes], [["Presence", "kv"], ["Tally", "sqlite"]]);

      // 6. a deletion.
      const v4 = [...v3, { tag: "v4", deletedClasses: ["Presence"] }];
      writeProject(dir, { durableObjects: { Tally: {} }, durableObjectMigrations: v4, bindings: { TALLY: { durableObject: "Tally" } } }, CODE(5, ["Tally"]));
      r = await up(dir, fake, r.state);
      assert.deepEqual(r.migrations, { oldTag: "v3", newTag: "v4", steps: [{ deletedClasses: ["Presence"] }] });
      assert.equal(fake.scripts.get(script)?.tag, "v4");

      // 7. and a code change after all that still sends nothing.
      writeProject(dir, { durableObjects: { Tally: {} }, durableObjectMigrations: v4, bindings: { TALLY: { durableObject: "Tally" } } }, CODE(6, ["Tally"]));
      r = await up(dir, fake, r.state);
      assert.equal(r.uploaded, true);
      assert.equal(r.migrations, undefined);
      assert.equal(fake.scripts.get(script)?.uploads, 7);
    });

    it("with the live tag read while the program runs, a drift repair right after a migration re-sends nothing", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-do-live-"));
      fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), "");
      const script = "do-api-staging-live";
      const v1 = [{ tag: "v1", newSqliteClasses: ["Counter"] }];
      const v2 = [...v1, { tag: "v2", newClasses: ["Presence"] }];
      const project = (history: typeof v2, classes: Record<string, { sqlite?: boolean }>) => {
        writeProject(dir, { durableObjects: classes, durableObjectMigrations: history, bindings: Object.fromEntries(Object.keys(classes).map((c) => [c.toUpperCase(), { durableObject: c }])) }, CODE(1, Object.keys(classes)));
        fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), `config:\n  ${PROJECT}:stack:\n    suffix: -staging-live\n`);
      };
      project(v1, { Counter: {} });
      let r = await up(dir, fake, undefined, { readLiveTags: true });
      assert.deepEqual(r.migrations, { newTag: "v1", steps: [{ newSqliteClasses: ["Counter"] }] });
      // The next up sees tag v1: the command runs once more and the script is uploaded without the step.
      r = await up(dir, fake, r.state, { readLiveTags: true });
      assert.equal(r.uploaded, true);
      assert.equal(r.migrations, undefined);
      // And then nothing.
      r = await up(dir, fake, r.state, { readLiveTags: true });
      assert.equal(r.uploaded, false);
      // A new class, then a drift repair on the same commit: the step is not sent again.
      project(v2, { Counter: {}, Presence: { sqlite: false } });
      r = await up(dir, fake, r.state, { readLiveTags: true });
      assert.deepEqual(r.migrations, { oldTag: "v1", newTag: "v2", steps: [{ newClasses: ["Presence"] }] });
      r = await up(dir, fake, r.state, { readLiveTags: true, forceUpload: true });
      assert.equal(r.uploaded, true);
      assert.equal(r.migrations, undefined);
      assert.equal(fake.scripts.get(script)?.tag, "v2");
    });

    it("without the live tag (under mocks by default), that drift repair would re-send the applied step and be refused", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-do-nolive-"));
      writeProject(dir, { durableObjects: { Counter: {} }, durableObjectMigrations: [{ tag: "v1", newSqliteClasses: ["Counter"] }], bindings: { COUNTER: { durableObject: "Counter" } } }, CODE(1, ["Counter"]));
      fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), `config:\n  ${PROJECT}:stack:\n    suffix: -staging-nolive\n`);
      const r = await up(dir, fake);
      const cmd = reveal(one(await evaluate("staging", { root: dir, secrets: {} }), TYPES.command, "api-do-migrations").inputs) as { triggers: unknown[] };
      assert.equal(cmd.triggers.length, 1, "under mocks the tag is not read: the trigger is the upload's hash alone");
      await assert.rejects(up(dir, fake, r.state, { forceUpload: true }), /10079/);
    });

    it("adopts a script wrangler already migrated to v3 without replaying anything", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-do-adopt-"));
      // Deployed by wrangler: v1 created A and B, v2 renamed B to C, v3 deleted A.
      fake.scripts.set("do-api-staging-adopt", { tag: "v3", classes: new Map([["C", "sqlite"]]), uploads: 3 });
      const history = [
        { tag: "v1", newSqliteClasses: ["A", "B"] },
        { tag: "v2", renamedClasses: [{ from: "B", to: "C" }] },
        { tag: "v3", deletedClasses: ["A"] },
      ];
      writeProject(dir, { durableObjects: { C: {} }, durableObjectMigrations: history, bindings: { C_NS: { durableObject: "C" } } }, CODE(1, ["C"]));
      fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), `config:\n  ${PROJECT}:stack:\n    suffix: -staging-adopt\n`);
      const r = await up(dir, fake);
      assert.equal(r.uploaded, true);
      assert.equal(r.migrations, undefined, "nothing replayed");
      assert.equal(fake.scripts.get("do-api-staging-adopt")?.tag, "v3");
      assert.deepEqual([...fake.scripts.get("do-api-staging-adopt")!.classes], [["C", "sqlite"]]);
    });

    it("a live tag outside the declared history stops the up with the script, the tag and what to declare", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-do-unknown-"));
      fake.scripts.set("do-api-staging-stray", { tag: "hotfix-1", classes: new Map([["A", "sqlite"]]), uploads: 1 });
      writeProject(dir, { durableObjects: { A: {} }, durableObjectMigrations: [{ tag: "v1", newSqliteClasses: ["A"] }], bindings: { A_NS: { durableObject: "A" } } }, CODE(1, ["A"]));
      fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), `config:\n  ${PROJECT}:stack:\n    suffix: -staging-stray\n`);
      await assert.rejects(up(dir, fake), /do-api-staging-stray is at Durable Object migration tag "hotfix-1", which its declared history \(v1\) does not contain/);
      assert.equal(fake.scripts.get("do-api-staging-stray")?.uploads, 1, "nothing uploaded");
    });

    it("the fixed create-time step main sent (kept by ignoreChanges) is refused at the second upload", async () => {
      // What main registered: migrations { newTag: v1, newSqliteClasses } with ignoreChanges, which
      // Pulumi re-sends from the state on every update.
      const put = async (migrations: ApiMigrations) => {
        const res = await fetch(`${fake.base}/accounts/${ACCOUNT}/workers/scripts/main-api`, {
          method: "PUT",
          headers: { authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify({ bindings: [{ type: "durable_object_namespace", name: "C", class_name: "Counter" }], migrations }),
        });
        return (await res.json()) as { success: boolean; errors: { code: number; message: string }[] };
      };
      const fixed = { new_tag: "v1", new_sqlite_classes: ["Counter"] };
      assert.equal((await put(fixed)).success, true, "create");
      const second = await put(fixed);
      assert.equal(second.success, false);
      assert.equal(second.errors[0]!.code, 10079);
    });

    it("the command needs a token and refuses a plain-http API host that is not loopback", () => {
      const create = JSON.stringify({ accountId: ACCOUNT, scriptName: "x", history: [{ tag: "v1", newSqliteClasses: ["A"] }] });
      const script = path.join(__dirname, "..", "components", "do-migrations.js");
      const noToken = spawnSync(process.execPath, [script, create], { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
      assert.notEqual(noToken.status, 0);
      assert.match(noToken.stderr, /CLOUDFLARE_API_TOKEN is not set/);
      const http = spawnSync(process.execPath, [script, create], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_API_BASE_URL: "http://api.example.com/client/v4" } });
      assert.notEqual(http.status, 0);
      assert.match(http.stderr, /must be https/);
      assert.doesNotMatch(http.stderr + http.stdout, new RegExp(TOKEN));
    });
  });

  it("the local runner gives each class the storage its own script's migrations give it", async () => {
    // Two scripts with a class of the same name: SQLite on one, key-value on the other.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-do-local-"));
    writeProject(dir, {}, CODE(1, ["Counter"]));
    const system = {
      app: "do",
      zone: "example.com",
      compatibilityDate: "2025-09-01",
      workers: {
        a: { entry: "workers/api/index.ts", durableObjects: { Counter: {} }, durableObjectMigrations: [{ tag: "v1", newSqliteClasses: ["Counter"] }], bindings: { C: { durableObject: "Counter" } } },
        b: { entry: "workers/api/index.ts", durableObjects: { Counter: { sqlite: false } }, durableObjectMigrations: [{ tag: "v1", newClasses: ["Counter"] }], bindings: { C: { durableObject: "Counter" }, A_C: { durableObject: "Counter", worker: "a" } } },
      },
    };
    const ev = await evaluate("staging", { root: dir, system, secrets: {} });
    assert.equal(ev.error, undefined, ev.error?.message);
    const { workers } = buildWorkers(dir, ev, () => undefined);
    const dos = (key: string) => (workers.find((w) => w.key === key)!.options as { durableObjects: Record<string, { useSQLite: boolean }> }).durableObjects;
    assert.equal(dos("a").C!.useSQLite, true);
    assert.equal(dos("b").C!.useSQLite, false);
    assert.equal(dos("b").A_C!.useSQLite, true, "another worker's class has that worker's storage");
  });

  it("the reference stacks (no Durable Objects) register no migrations command", async () => {
    const ev = await evaluate("staging");
    assert.equal(ofType(ev, TYPES.command).filter((c) => c.name.endsWith("-do-migrations")).length, 0);
  });
});
