#!/usr/bin/env node
// @ts-check
/**
 * The one Node version rule: package.json `engines.node`. Every npm script runs through this file,
 * so `npm start`, `npm test` and the others work on a machine whose default Node is older: the
 * project then provides the Node it needs itself, a real Node binary from the npm package
 * `node-<platform>-<arch>` installed once into `.tools/` (git-ignored), first on PATH.
 *
 *   node scripts/node.js <command> [args...]   run a command with a Node that satisfies engines
 *   node scripts/node.js --bin                 print the bin folder of such a Node (for PATH)
 *
 * Written for old Node versions too (no syntax or API newer than Node 12), since its job is to
 * run on them.
 */
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

// The folder of package.json: one up from scripts/ here, two up from dist/scripts/ in the package.
const ROOT = fs.existsSync(path.join(__dirname, "..", "package.json")) ? path.resolve(__dirname, "..") : path.resolve(__dirname, "..", "..");
/** The Node the project installs for itself when the machine's is too old (a 22.x LTS release). */
const PROVIDED_NODE = "22.23.3";

/** @param {string} version @returns {number[]} */
function parse(version) {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
}
/** @param {string} version @param {string} min */
function atLeast(version, min) {
  const a = parse(version);
  const b = parse(min);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return Number(a[i]) > Number(b[i]);
  return true;
}

/** The minimum version in package.json `engines.node` (">=22.12" → "22.12.0"). */
function required() {
  /** @type {string} */
  const range = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).engines.node;
  const m = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim());
  if (!m) throw new Error(`package.json engines.node must be of the form ">=22.12", not "${range}"`);
  return { range, min: `${m[1]}.${m[2] || 0}.${m[3] || 0}` };
}

function providedBin() {
  const pkg = `node-${process.platform === "win32" ? "win" : process.platform}-${process.arch}`;
  const dir = path.join(ROOT, ".tools", "node_modules", pkg);
  const bin = process.platform === "win32" ? dir : path.join(dir, "bin");
  const exe = path.join(bin, process.platform === "win32" ? "node.exe" : "node");
  return { pkg, bin, exe };
}

/** The bin folder of a Node that satisfies engines: this one's, or the provided one (installed on first use). */
function nodeBin() {
  const { range, min } = required();
  if (atLeast(process.versions.node, min)) return path.dirname(process.execPath);
  const provided = providedBin();
  const fix = `install Node ${range.replace(">=", "")} or newer (https://nodejs.org), or run: npm install --prefix .tools --no-save ${provided.pkg}@${PROVIDED_NODE}`;
  const works = () => {
    if (!fs.existsSync(provided.exe)) return false;
    const r = spawnSync(provided.exe, ["-p", "process.versions.node"], { encoding: "utf8" });
    return r.status === 0 && atLeast(r.stdout.trim(), min);
  };
  if (!works()) {
    process.stderr.write(`workers-stack: Node ${process.versions.node} is older than ${range} (package.json engines); installing Node ${PROVIDED_NODE} into .tools/ once (${provided.pkg} from the npm registry)\n`);
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const r = spawnSync(npm, ["install", "--prefix", ".tools", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", `${provided.pkg}@${PROVIDED_NODE}`], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "inherit"],
      shell: process.platform === "win32",
    });
    if (r.status !== 0 || !works()) {
      process.stderr.write(`workers-stack: could not provide Node ${PROVIDED_NODE}: ${fix}\n`);
      process.exit(1);
    }
  }
  return provided.bin;
}

function main() {
  const args = process.argv.slice(2);
  if (args.length === 0 || args[0] === "-h" || args[0] === "--help") {
    process.stdout.write("usage: node scripts/node.js <command> [args...] | --bin\n");
    return 0;
  }
  const bin = nodeBin();
  if (args[0] === "--bin") {
    process.stdout.write(`${bin}\n`);
    return 0;
  }
  const env = Object.assign({}, process.env, { PATH: `${bin}${path.delimiter}${process.env.PATH || ""}` });
  // Ctrl-C reaches the command too (same process group): let it stop in its own time.
  process.on("SIGINT", () => undefined);
  process.on("SIGTERM", () => undefined);
  const command = /** @type {string} */ (args[0]);
  const r = spawnSync(command, args.slice(1), { stdio: "inherit", env, shell: process.platform === "win32" });
  if (r.error) {
    process.stderr.write(`workers-stack: could not run ${command}: ${r.error.message}\n`);
    return 1;
  }
  if (r.signal) {
    // End the same way the command did (the handlers above would swallow it).
    process.removeAllListeners("SIGINT");
    process.removeAllListeners("SIGTERM");
    process.kill(process.pid, r.signal);
  }
  return r.status === null ? 1 : r.status;
}

if (require.main === module) process.exitCode = main();

module.exports = { atLeast, required, PROVIDED_NODE };
