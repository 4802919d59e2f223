/**
 * Writes an imported system as a user's project (README "Use it in your own repository"):
 * Pulumi.yaml with the shared declaration, one Pulumi.<stack>.yaml per stack with only what
 * differs, package.json depending on workers-stack, index.ts and tsconfig.json.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import type { ImportResult } from "./importer";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const OWN_PACKAGE: { version: string; devDependencies?: Record<string, string> } = require(fs.existsSync(path.join(__dirname, "../../package.json")) ? "../../package.json" : "../../../package.json");

/**
 * YAML that every reader takes the same way: written under YAML 1.1's rules, so a string that 1.1
 * readers would turn into something else (a date such as 2025-06-01 — Pulumi's Go reader makes it
 * a timestamp —, yes/no/on/off) is quoted. Still plain YAML 1.2.
 */
const yaml = (v: unknown) => stringify(v, { version: "1.1", lineWidth: 0, aliasDuplicateObjects: false });

/** The files of the project, by path relative to the output folder. */
export function projectFiles(r: ImportResult): Record<string, string> {
  const files: Record<string, string> = {};
  files["Pulumi.yaml"] =
    `# Imported from wrangler by \`workers-stack import\` (${r.workers.map((w) => w.file).join(", ")}).\n` +
    yaml({ name: r.app, runtime: { name: "nodejs", options: { typescript: true } }, main: "index.ts", config: { [`${r.app}:system`]: { value: r.system } } });
  for (const stack of r.stacks) {
    const t = r.todo[stack]!;
    const head = [
      `# Stack ${stack}: only what differs from Pulumi.yaml. Set once per stack (not committed):`,
      `#   pulumi config set accountId <32-hex account id> --stack ${stack}`,
      ...r.zones.map((z, i) => (i === 0 ? `#   pulumi config set zoneId <32-hex zone id of ${z}> --stack ${stack}` : `#   the id of zone ${z}: add  zoneIds: { ${z}: <32-hex zone id> }  under ${r.app}:stack below`)),
      ...t.secrets.map((s) => `#   pulumi config set --secret ${s} <value> --stack ${stack}`),
    ];
    const tail = t.find.length ? ["", "# Before the first `pulumi up`, find what the wrangler configs do not hold:", ...t.find.map((f) => `#   ${f.what}: ${f.command}`)] : [];
    const settings = r.stackSettings[stack]!;
    files[`Pulumi.${stack}.yaml`] = [...head, yaml({ config: { [`${r.app}:stack`]: Object.keys(settings).length ? settings : {} } }).trimEnd(), ...tail, ""].join("\n");
  }
  const dev = OWN_PACKAGE.devDependencies ?? {};
  files["package.json"] =
    JSON.stringify(
      {
        name: r.app,
        private: true,
        dependencies: { "workers-stack": `^${OWN_PACKAGE.version}` },
        devDependencies: { "@types/node": dev["@types/node"] ?? "^22", "ts-node": dev["ts-node"] ?? "^10.9.2", typescript: dev.typescript ?? "~5.9" },
      },
      null,
      2,
    ) + "\n";
  files["index.ts"] = 'import { main } from "workers-stack";\n\nexport = main();\n';
  files["tsconfig.json"] =
    JSON.stringify({ compilerOptions: { strict: true, target: "es2022", module: "commonjs", moduleResolution: "node", esModuleInterop: true, skipLibCheck: true }, files: ["index.ts"] }, null, 2) + "\n";
  files[".gitignore"] = "node_modules/\n.workers-stack/\n.dev.vars\n.dev.vars.*\n!.dev.vars.example\n";
  return files;
}

/** Writes the project; refuses a non-empty folder unless `force` (then only these files are replaced). */
export function writeProject(out: string, r: ImportResult, force: boolean): string[] {
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw Object.assign(new Error(`--out ${out}: not a folder`), { exitCode: 2 });
  if (fs.existsSync(out) && fs.readdirSync(out).length > 0 && !force)
    throw Object.assign(new Error(`--out ${out} is not empty: choose an empty folder, or pass --force to write Pulumi.yaml, Pulumi.<stack>.yaml, index.ts and tsconfig.json there (replacing them) and add the dependencies to its package.json`), { exitCode: 2 });
  fs.mkdirSync(out, { recursive: true });
  const files = projectFiles(r);
  // In a folder that has them already (--force): keep its .gitignore, add the dependencies to its package.json.
  if (fs.existsSync(path.join(out, ".gitignore"))) delete files[".gitignore"];
  const pkgPath = path.join(out, "package.json");
  if (fs.existsSync(pkgPath)) {
    const mine = JSON.parse(files["package.json"]!) as Record<string, Record<string, string>>;
    const theirs = JSON.parse(fs.readFileSync(pkgPath, "utf8")) as Record<string, Record<string, string> | undefined>;
    theirs.dependencies = { ...theirs.dependencies, ...mine.dependencies };
    theirs.devDependencies = { ...mine.devDependencies, ...theirs.devDependencies };
    files["package.json"] = JSON.stringify(theirs, null, 2) + "\n";
  }
  for (const [rel, text] of Object.entries(files)) fs.writeFileSync(path.join(out, rel), text);
  return Object.keys(files);
}
