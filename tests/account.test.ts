/**
 * The account given once: `Stack` sets it, and every component under it (and every resource they
 * register) uses it; a component on its own takes `accountId` in its args, or says how to give one.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { accountOf, setAccount } from "../components/account";
import { evaluate, reveal, ROOT, TYPES } from "./helpers";

/** The tminus example's config secrets (as tests/examples.test.ts gives them). */
const TMINUS_SECRETS = { GOOGLE_CLIENT_ID: "gid", GOOGLE_CLIENT_SECRET: "gsecret", MS_CLIENT_ID: "mid", MS_CLIENT_SECRET: "msecret" };
/** Another account than the tests' usual one, so a value from anywhere else would show. */
const ACCOUNT = "abcdefabcdefabcdefabcdefabcdef12";
/** The resources the provider scopes to an account (their `accountId` input). */
const ACCOUNT_SCOPED = [TYPES.script, TYPES.d1, TYPES.kv, TYPES.r2, TYPES.queue, TYPES.hyperdrive, TYPES.consumer, TYPES.workflow, TYPES.cron, TYPES.customDomain, TYPES.subdomain];

describe("the account, given once", () => {
  it("reaches every account-scoped resource and deploy-time command of a stack from the Stack alone", async () => {
    const ev = await evaluate("staging", { root: path.join(ROOT, "examples", "tminus"), secrets: TMINUS_SECRETS, plain: { accountId: ACCOUNT } });
    assert.equal(ev.error, undefined, ev.error?.message);
    const scoped = ev.resources.filter((r) => ACCOUNT_SCOPED.includes(r.type as (typeof ACCOUNT_SCOPED)[number]));
    for (const t of [TYPES.script, TYPES.d1, TYPES.kv, TYPES.r2, TYPES.queue, TYPES.consumer, TYPES.workflow, TYPES.cron])
      assert.ok(scoped.some((r) => r.type === t), `the example registers a ${t}`);
    for (const r of scoped) assert.equal((reveal(r.inputs) as { accountId?: string }).accountId, ACCOUNT, `${r.type} ${r.name}`);
    const commands = ev.resources.filter((r) => r.type === TYPES.command).map((r) => JSON.stringify(reveal(r.inputs)));
    assert.ok(commands.some((c) => c.includes(`"CLOUDFLARE_ACCOUNT_ID":"${ACCOUNT}"`)), "the D1 migrations command runs in the account");
    assert.ok(commands.some((c) => c.includes(`\\"accountId\\":\\"${ACCOUNT}\\"`)), "the Durable Object migrations command reads the account's script");
    assert.ok(!JSON.stringify(ev.resources.map((r) => reveal(r.inputs))).includes("0123456789abcdef0123456789abcdef"), "no other account anywhere");
  });

  it("is read from the parent at any depth, taken from args when given, and refused with the fix when neither", () => {
    const stack = {} as pulumi.Resource;
    const worker = {} as pulumi.Resource;
    const child = {} as pulumi.Resource;
    setAccount(stack, ACCOUNT);
    assert.equal(accountOf(worker, undefined, { parent: stack }, "Worker api"), ACCOUNT);
    assert.equal(accountOf(child, undefined, { parent: worker }, "DurableObjectMigrations api-do-migrations"), ACCOUNT);
    assert.equal(accountOf({} as pulumi.Resource, "0123456789abcdef0123456789abcdef", { parent: stack }, "KvNamespace cache"), "0123456789abcdef0123456789abcdef");
    assert.throws(() => accountOf({} as pulumi.Resource, undefined, undefined, "KvNamespace cache"), {
      message: "KvNamespace cache: no Cloudflare account: give accountId in its args, or create it with parent: a Stack (or a component under one)",
    });
    assert.throws(() => accountOf({} as pulumi.Resource, undefined, { parent: {} as pulumi.Resource }, "Queue jobs"), /Queue jobs: no Cloudflare account/);
  });
});
