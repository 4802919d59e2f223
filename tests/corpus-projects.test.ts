/**
 * The corpus projects (examples/corpus/<system>/, written by `workers-stack import` through
 * scripts/corpus-projects.ts): (1) each committed project is exactly what the importer writes from
 * the system's configs today, regenerated in a temporary copy; (2) every stack of every project
 * evaluates under the mock runtime (with the secrets the import lists set to stand-ins) and
 * registers exactly the scripts the configs deploy on that env, named as wrangler names them; a
 * stack the import says workers-stack refuses must be refused; (3) the README tables are the ones
 * the script computes.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ImportResult } from "../cli/import/importer";
import { readWranglerConfig } from "../cli/import/wrangler";
import { evaluateStack } from "../harness/evaluate";
import { findConfigs, type SystemReference } from "../scripts/corpus-reference";
import { blocking, CORPUS, coverageOf, coverageRows, importOf, staleFiles, summaryRows, systems, TOP_LEVEL_STACK, type SystemCoverage } from "../scripts/corpus-projects";
import { ROOT, TEST_IDS, TYPES } from "./helpers";

/** The stand-ins a user sets per stack: account and zone ids (each further zone's too), each secret. */
function perStackConfig(result: ImportResult, stack: string): { secrets: Record<string, string>; plain: Record<string, string> } {
  const secrets = Object.fromEntries(result.todo[stack]!.secrets.map((n) => [n, `stand-in-${n.toLowerCase()}`]));
  const plain: Record<string, string> = { ...TEST_IDS };
  const zones = [result.system.zone, ...((result.system.zones as string[] | undefined) ?? [])].filter((z): z is string => typeof z === "string");
  if (zones.length > 1) {
    const zoneIds = Object.fromEntries(zones.slice(1).map((z) => [z, crypto.createHash("md5").update(z).digest("hex")]));
    plain[`${result.app}:stack`] = JSON.stringify({ ...result.stackSettings[stack], zoneIds });
  }
  return { secrets, plain };
}

/** The script names wrangler deploys for `stack`: each config's env (the top level for the top-level stack) that wrangler accepts. */
function wranglerScripts(system: string, stack: string): string[] {
  const dir = path.join(CORPUS, system);
  const reference = JSON.parse(fs.readFileSync(path.join(dir, "reference.json"), "utf8")) as SystemReference;
  const env = stack === TOP_LEVEL_STACK[system]!.stack ? "" : stack;
  return findConfigs(dir)
    .flatMap((rel) => {
      if (!reference.configs[rel]?.envs[env]?.ok) return [];
      const e = readWranglerConfig(path.join(dir, rel)).envs.find((x) => x.env === env);
      return e?.config?.name ? [e.config.name] : [];
    })
    .sort();
}

const coverage: SystemCoverage[] = [];
const tally = { evaluated: [] as string[], refused: [] as string[], scripts: 0 };

describe("corpus projects (examples/corpus): imported, evaluated on every stack", function () {
  this.timeout(600_000);
  const all = systems();
  after(() =>
    console.log(
      `      corpus projects: ${tally.evaluated.length + tally.refused.length} stacks — ${tally.evaluated.length} evaluated (${tally.scripts} scripts, as wrangler names them), ` +
        `${tally.refused.length} refused as the import says (${tally.refused.join(", ") || "none"})`,
    ),
  );

  it("has the fourteen systems, each with its top-level stack chosen in scripts/corpus-projects.ts", () => {
    assert.equal(all.length, 14);
    assert.deepEqual(Object.keys(TOP_LEVEL_STACK).sort(), all);
  });

  for (const system of all) {
    it(`${system}: the committed project is what the importer writes; every stack evaluates with wrangler's scripts`, async () => {
      assert.deepEqual(staleFiles(system), [], "regenerate with npm run corpus");
      const result = importOf(system);
      coverage.push(coverageOf(system, result));
      const problems: string[] = [];
      for (const stack of result.stacks) {
        const refused = result.lines.filter((l) => l.file === "" && blocking(l) && l.stacks?.includes(stack));
        const ev = await evaluateStack({ root: path.join(CORPUS, system), stack, ...perStackConfig(result, stack) });
        if (refused.length) {
          // The import said workers-stack refuses this stack (the table lists why): it must not register anything.
          if (!ev.error) problems.push(`${stack}: the import reports ${refused.map((l) => l.key).join(", ")} refused, but the stack evaluates`);
          else for (const l of refused) if (!ev.error.message.includes(l.key)) problems.push(`${stack}: refused, but not for ${l.key} as the import says:\n${ev.error.message}`);
          tally.refused.push(`${system}/${stack}`);
          continue;
        }
        if (ev.error) {
          problems.push(`${stack}: ${ev.error.message.split("\n").slice(0, 6).join("\n")}`);
          continue;
        }
        const registered = ev.resources.filter((r) => r.type === TYPES.script).map((r) => r.inputs.scriptName as string).sort();
        try {
          assert.deepEqual(registered, wranglerScripts(system, stack));
          tally.evaluated.push(`${system}/${stack}`);
          tally.scripts += registered.length;
        } catch (e) {
          problems.push(`${stack}: registered scripts differ from wrangler's:\n${(e as Error).message}`);
        }
      }
      assert.deepEqual(problems, []);
    });
  }

  it("examples/corpus/README.md and the project README carry the tables scripts/corpus-projects.ts computes", () => {
    const cov = coverage.length === all.length ? [...coverage].sort((a, b) => a.system.localeCompare(b.system)) : all.map((s) => coverageOf(s));
    const corpusReadme = fs.readFileSync(path.join(CORPUS, "README.md"), "utf8");
    const rootReadme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const between = (text: string, marker: string) => {
      const m = new RegExp(`<!-- ${marker}:start -->\\n([\\s\\S]*?)<!-- ${marker}:end -->`).exec(text);
      assert.ok(m, `README has the markers <!-- ${marker}:start --> / <!-- ${marker}:end -->`);
      return m[1]!.split("\n").filter((l) => /^\| (\[|\*\*)/.test(l));
    };
    assert.deepEqual(between(corpusReadme, "corpus-projects"), coverageRows(cov), "paste the rows of npm run corpus -- --table");
    assert.deepEqual(between(rootReadme, "corpus-summary"), summaryRows(cov), "paste the rows of npm run corpus -- --table");
  });
});
