/**
 * The first thing the program does under `pulumi`: check the Node that runs it against the one
 * rule, package.json `engines.node`, and stop with the exact fix. (`pulumi` runs the `node` on
 * PATH; the npm scripts provide their own through scripts/node.js.)
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { atLeast, required } = require("./scripts/node.js") as { atLeast(v: string, min: string): boolean; required(): { range: string; min: string } };

const { range, min } = required();
if (!atLeast(process.versions.node, min)) {
  throw new Error(
    `workers-stack needs Node ${range} (package.json engines); this is Node ${process.versions.node}.\n` +
      `  fix: export PATH="$(node scripts/node.js --bin):$PATH"   (provides Node 22 in .tools/ once), then run pulumi again`,
  );
}
