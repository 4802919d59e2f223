/**
 * The bare baseline of the benchmark: the resources a generated project declares, registered
 * directly with @pulumi/cloudflare, @pulumi/command and @pulumi/random as a hand-written program
 * would — no config schema, no validation, no plan, no components. It still bundles each entry
 * with esbuild and hashes the migrations, since a working program must upload JavaScript and
 * re-run changed migrations; what it leaves out is exactly what workers-stack adds.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as cloudflare from "@pulumi/cloudflare";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as esbuild from "esbuild";
import { GeneratedProject } from "./generate";

/** Registers every resource of `project` and returns a few outputs, like a Pulumi program. */
export function baselineProgram(project: GeneratedProject): Record<string, unknown> {
  const config = new pulumi.Config();
  const { accountId, zoneId } = project;
  const outputs: Record<string, unknown> = {};
  for (const w of project.workers) {
    const name = (key: string) => `${project.app}-${key}${project.suffix}`;
    const password = new random.RandomPassword(w.generatedSecret.name, { length: w.generatedSecret.length, special: false });
    const db = new cloudflare.D1Database(w.key, { accountId, name: name(w.key), readReplication: { mode: "disabled" } });
    const dir = path.join(project.root, w.migrations);
    const hash = createHash("sha256");
    for (const f of fs.readdirSync(dir).sort()) hash.update(f).update(fs.readFileSync(path.join(dir, f)));
    const migrations = new command.local.Command(
      `${w.key}-migrations`,
      {
        create: pulumi.interpolate`npx wrangler d1 migrations apply ${name(w.key)} --remote`,
        triggers: [db.id, hash.digest("hex")],
        environment: { CLOUDFLARE_ACCOUNT_ID: accountId },
      },
      { dependsOn: [db] },
    );
    const kv = new cloudflare.WorkersKvNamespace(`${w.key}-cache`, { accountId, title: name(`${w.key}-cache`) });

    const outfile = path.join(project.root, ".workers-stack", "baseline", w.key, "worker.js");
    esbuild.buildSync({ absWorkingDir: project.root, entryPoints: [w.entry], bundle: true, format: "esm", platform: "browser", outfile, logLevel: "silent" });
    const bytes = fs.readFileSync(outfile);
    const script = new cloudflare.WorkersScript(
      w.key,
      {
        accountId,
        scriptName: name(w.key),
        contentFile: path.relative(project.root, outfile),
        contentSha256: createHash("sha256").update(bytes).digest("hex"),
        mainModule: "worker.js",
        compatibilityDate: project.compatibilityDate,
        compatibilityFlags: [],
        bindings: [
          { name: "CACHE", type: "kv_namespace", namespaceId: kv.id },
          { name: "DB", type: "d1", id: db.id },
          { name: "ENVIRONMENT", type: "plain_text", text: project.stack },
          { name: "LIMITS", type: "json", json: JSON.stringify(w.vars.LIMITS) },
          { name: "MODE", type: "plain_text", text: String(w.vars.MODE) },
          { name: "VERSION", type: "plain_text", text: "dev" },
          { name: w.configSecret, type: "secret_text", text: config.requireSecret(w.configSecret) },
          { name: w.generatedSecret.name, type: "secret_text", text: pulumi.secret(password.result) },
        ],
      },
      { dependsOn: [migrations] },
    );
    const host = `${w.hostname}${project.suffix}.${project.zone}`;
    const record = new cloudflare.DnsRecord(host, { zoneId, name: host, type: "CNAME", content: project.zone, proxied: true, ttl: 1 });
    new cloudflare.WorkersRoute(host, { zoneId, pattern: `${host}/*`, script: script.scriptName }, { dependsOn: [record] });
    outputs[w.key] = script.scriptName;
  }
  return outputs;
}
