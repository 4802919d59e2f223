/**
 * Writes examples/corpus/<system>/ from each real system of tests/fixtures/wrangler with the
 * importer: the system's workers (sources, assets, migrations, wrangler configs and SOURCE.md)
 * copied, and the workers-stack project `workers-stack import` makes of them at the copy's root
 * — every env a stack, the top level the stack `default` (or `--top-level-stack`). What the
 * importer printed is kept beside it as IMPORT.txt (what it could not translate, ids to find).
 *
 *   npx ts-node --transpile-only scripts/corpus-projects.ts [system ...] [--top-level-stack default]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { importWrangler } from "../cli/import/importer";
import { summary } from "../cli/import/main";
import { writeProject } from "../cli/import/project";
import { FIXTURES, findConfigs } from "./corpus-reference";

const OUT = path.join(__dirname, "..", "examples", "corpus");

function main(): void {
  const args = process.argv.slice(2);
  const at = args.indexOf("--top-level-stack");
  const top = at >= 0 ? args[at + 1]! : "default";
  const wanted = args.filter((a, i) => !a.startsWith("--") && (at < 0 || i !== at + 1));
  const systems = fs.readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const system of wanted.length ? wanted : systems) {
    if (!systems.includes(system)) throw new Error(`no such system under tests/fixtures/wrangler: ${system}`);
    const dir = path.join(OUT, system);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.cpSync(path.join(FIXTURES, system), dir, { recursive: true, filter: (src) => path.basename(src) !== "reference.json" });
    const configs = findConfigs(dir);
    const result = importWrangler({ files: configs, out: dir, topLevelStack: top, cwd: dir });
    const written = writeProject(dir, result, true);
    fs.writeFileSync(path.join(dir, "IMPORT.txt"), `$ workers-stack import ${configs.join(" ")} --out . --top-level-stack ${top} --force\n${summary(result, ".", written)}\n`);
    const untranslated = result.lines.filter((l) => l.level === "untranslated" || l.level === "later").length;
    console.log(`${system}: ${result.workers.length} workers, stacks ${result.stacks.join(", ")}; ${untranslated} lines not translated -> ${path.relative(process.cwd(), dir)}`);
  }
}

main();
