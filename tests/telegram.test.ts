/**
 * The Telegram webhook as a declared resource, run against a local fake Telegram server: the
 * command the program registers sets the webhook with the worker's own secret, sets it again with
 * the new secret after a rotation, and deletes it.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { Evaluation } from "../harness/evaluate";
import { evaluate, isSecret, one, referenceSystem, reveal, ROOT, TEST_SECRETS, TYPES } from "./helpers";

interface Call {
  token: string;
  method: string;
  body: any;
}

function fakeTelegram(): Promise<{ base: string; calls: Call[]; close(): Promise<void> }> {
  const calls: Call[] = [];
  const server = http.createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? "");
      if (!m) {
        res.writeHead(404).end(JSON.stringify({ ok: false, description: "Not Found" }));
        return;
      }
      calls.push({ token: decodeURIComponent(m[1]!), method: m[2]!, body: JSON.parse(text || "{}") });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, result: true }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        calls,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

/** Runs a command asynchronously (the fake server lives in this process and must keep answering). */
function exec(file: string, args: string[], env: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(file, args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/**
 * Runs one of the command's lifecycle commands the way the command provider does: the program
 * and arguments of `interpreter` (default `/bin/sh -c`) with the command as the last argument.
 */
async function run(cmd: Record<string, any>, which: "create" | "update" | "delete") {
  const [file, ...args] = [...((cmd.interpreter as string[] | undefined) ?? ["/bin/sh", "-c"]), cmd[which]];
  const r = await exec(file === "node" ? process.execPath : file, args, reveal(cmd.environment) as Record<string, string>);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const COMMAND = TYPES.command;
const webhookSecretOf = (ev: Evaluation) => ((reveal(one(ev, TYPES.script, "bot").inputs) as any).bindings as any[]).find((b) => b.name === "TELEGRAM_WEBHOOK_SECRET").text as string;

describe("Telegram webhook resource", function () {
  this.timeout(60_000);
  let telegram: Awaited<ReturnType<typeof fakeTelegram>>;
  before(async () => (telegram = await fakeTelegram()));
  after(() => telegram.close());

  const withApi = (rotation = 0) => {
    const system = referenceSystem();
    system.workers.bot.telegram.apiBase = telegram.base;
    system.secrets.TELEGRAM_WEBHOOK_SECRET.generate.rotation = rotation;
    return system;
  };

  it("is registered with the worker's URL and the very secret the worker checks, as secrets, after the script and its hostname", async () => {
    const ev = await evaluate("staging");
    const cmd = one(ev, COMMAND, "bot-telegram");
    const inputs = cmd.inputs as any;
    // An argument vector run without a shell: node components/telegram-webhook.js set|delete.
    assert.deepEqual(inputs.interpreter, ["node", "components/telegram-webhook.js"]);
    assert.equal(inputs.create, "set");
    assert.equal(inputs.update, "set");
    assert.equal(inputs.delete, "delete");
    assert.ok(isSecret(inputs.environment.TELEGRAM_BOT_TOKEN) || isSecret(inputs.environment), "the token stays a secret");
    const env = reveal(inputs.environment) as Record<string, string>;
    assert.deepEqual(env, {
      TELEGRAM_API_BASE: "https://api.telegram.org",
      TELEGRAM_WEBHOOK_URL: "https://bot-staging.example.com/telegram/webhook",
      TELEGRAM_BOT_TOKEN: TEST_SECRETS.TELEGRAM_BOT_TOKEN,
      TELEGRAM_WEBHOOK_SECRET: webhookSecretOf(ev),
      TELEGRAM_ALLOWED_UPDATES: '["message"]',
    });
    for (const dep of [one(ev, TYPES.script, "bot"), one(ev, TYPES.route, "bot-staging.example.com"), one(ev, TYPES.dns, "bot-staging.example.com")])
      assert.ok(cmd.dependencies.includes(dep.urn) || cmd.dependencies.some((d) => dep.urn.startsWith(d)) || cmd.dependencies.includes(dep.parent), `waits for ${dep.type}`);
    assert.equal(one(ev, COMMAND, "main-migrations").inputs.create !== undefined, true);
  });

  it("sets the webhook on create, again with the new secret after a rotation, and deletes it", async () => {
    const first = await evaluate("staging", { system: withApi(0) });
    const cmd1 = one(first, COMMAND, "bot-telegram").inputs as any;
    const created = await run(cmd1, "create");
    assert.equal(created.status, 0, created.output);
    assert.doesNotMatch(created.output, new RegExp(TEST_SECRETS.TELEGRAM_BOT_TOKEN), "the token is never printed");
    assert.deepEqual(telegram.calls.at(-1), {
      token: TEST_SECRETS.TELEGRAM_BOT_TOKEN,
      method: "setWebhook",
      body: { url: "https://bot-staging.example.com/telegram/webhook", secret_token: webhookSecretOf(first), allowed_updates: ["message"] },
    });

    // Rotate the generated secret: the worker and the webhook get the same new value.
    const rotated = await evaluate("staging", { system: withApi(1) });
    const cmd2 = one(rotated, COMMAND, "bot-telegram").inputs as any;
    assert.notEqual(webhookSecretOf(rotated), webhookSecretOf(first));
    assert.deepEqual({ ...cmd2, environment: undefined }, { ...cmd1, environment: undefined }, "only the environment changes: the provider runs `update`, no replacement");
    const updated = await run(cmd2, "update");
    assert.equal(updated.status, 0, updated.output);
    assert.equal(telegram.calls.at(-1)!.method, "setWebhook");
    assert.equal(telegram.calls.at(-1)!.body.secret_token, webhookSecretOf(rotated));

    const deleted = await run(cmd2, "delete");
    assert.equal(deleted.status, 0, deleted.output);
    assert.deepEqual(telegram.calls.at(-1), { token: TEST_SECRETS.TELEGRAM_BOT_TOKEN, method: "deleteWebhook", body: {} });
    assert.deepEqual(telegram.calls.map((c) => c.method), ["setWebhook", "setWebhook", "deleteWebhook"]);
  });

  it("fails the command when Telegram refuses, without printing the token", async () => {
    const r = await exec(process.execPath, ["components/telegram-webhook.js", "set"], {
      TELEGRAM_API_BASE: `${telegram.base}/nope`,
      TELEGRAM_BOT_TOKEN: "123:secret-token",
      TELEGRAM_WEBHOOK_SECRET: "s",
      TELEGRAM_WEBHOOK_URL: "https://x/y",
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /setWebhook: Telegram answered 404: Not Found/);
    assert.doesNotMatch(r.stderr + r.stdout, /secret-token/);
  });

  it("rejects a bot whose webhook secret is not one of the worker's secrets, or that has no hostname", async () => {
    const system = referenceSystem();
    system.workers.bot.secrets = system.workers.bot.secrets.filter((s: string) => s !== "TELEGRAM_WEBHOOK_SECRET");
    delete system.workers.bot.hostnames;
    system.secrets.TELEGRAM_WEBHOOK_SECRET = undefined;
    delete system.secrets.TELEGRAM_WEBHOOK_SECRET;
    const ev = await evaluate("staging", { system });
    assert.ok(ev.error);
    assert.ok(ev.error.message.includes("system.workers.bot.telegram.webhookSecret: TELEGRAM_WEBHOOK_SECRET is not one of this worker's secrets"), ev.error.message);
    assert.ok(ev.error.message.includes("system.workers.bot.telegram: a Telegram webhook needs a public URL"), ev.error.message);
    assert.deepEqual(ev.resources, []);
  });
});
