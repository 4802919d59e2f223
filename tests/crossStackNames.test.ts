/**
 * Physical names shared by two stacks of one account (config/crossStackNames.ts): a literal
 * `name` is the same on every stack, so a second stack in the same account would upload over the
 * first one's script (or be refused a second D1 database of that name). Refused before anything is
 * registered; different accounts, per-stack names and adopted resources are fine.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { evaluate, TEST_IDS } from "./helpers";

const OTHER_ACCOUNT = "fedcba9876543210fedcba9876543210";

const SYSTEM = {
  app: "xs",
  zone: "example.com",
  compatibilityDate: "2025-09-01",
  databases: { main: { name: "shop-db" } },
  workers: {
    auth: { name: "ens", entry: "index.js", bindings: { DB: { d1: "main" } } },
    api: { entry: "index.js" },
  },
};

function project(stacks: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workers-stack-xs-"));
  fs.writeFileSync(path.join(dir, "index.js"), "export default { fetch() { return new Response('ok'); } };\n");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: xs\nruntime: nodejs\nconfig:\n  xs:system:\n    value: ${JSON.stringify(SYSTEM)}\n`);
  for (const [stack, text] of Object.entries(stacks)) fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text);
  return dir;
}

const stackFile = (accountId: string, settings = "") => `config:\n  xs:accountId: "${accountId}"\n${settings}`;

describe("physical names across the stacks of one account", function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const run = (stacks: Record<string, string>) => {
    const root = project(stacks);
    dirs.push(root);
    return evaluate("staging", { root, secrets: {} });
  };

  it("refuses a literal script or D1 name that another stack of the same account also creates", async () => {
    const ev = await run({ staging: stackFile(TEST_IDS.accountId), production: stackFile(TEST_IDS.accountId, '  xs:stack:\n    suffix: ""\n') });
    assert.ok(ev.error, "the program must fail");
    const message = ev.error.message;
    assert.ok(message.includes('system.workers.auth: script name "ens" is also the script name of system.workers.auth on stack production, in the same account'), message);
    assert.ok(message.includes("upload over the other's"), message);
    assert.ok(message.includes('system.databases.main: D1 database name "shop-db" is also the D1 database name of system.databases.main on stack production'), message);
    // The derived names differ per stack (xs-api-staging, xs-api): not reported.
    assert.ok(!message.includes("system.workers.api"), message);
    assert.deepEqual(ev.resources, [], "nothing is registered");
  });

  it("accepts them when the other stack is another account, names them per stack, or the worker is not on it", async () => {
    const cases: Record<string, string>[] = [
      { staging: stackFile(TEST_IDS.accountId), production: stackFile(OTHER_ACCOUNT) },
      {
        staging: stackFile(TEST_IDS.accountId),
        production: stackFile(TEST_IDS.accountId, "  xs:stack:\n    overrides:\n      workers: { auth: { name: ens-prod } }\n      databases: { main: { name: shop-db-prod } }\n"),
      },
      { staging: stackFile(TEST_IDS.accountId), production: stackFile(TEST_IDS.accountId, "  xs:stack:\n    imports: { databases: { main: \"a1b2c3d4-0000-4000-8000-000000000000\" } }\n    overrides:\n      workers: { auth: { stacks: [staging] } }\n") },
    ];
    for (const stacks of cases) {
      const ev = await run(stacks);
      assert.ifError(ev.error);
    }
  });
});
