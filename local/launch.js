#!/usr/bin/env node
// @ts-check
/**
 * `npm start` without ts-node: TypeScript files are compiled with esbuild (already a dependency,
 * it bundles the workers) one file at a time, and each result is kept in
 * .workers-stack/cache/ts/ under the hash of the file's path and text, so a restart compiles
 * nothing. ts-node loads the whole TypeScript compiler first (~0.3 s) and transpiles every file
 * of the program on every start (~0.5 s); this does neither. Types are checked by `npm test`
 * (tsc --noEmit), not here — as with ts-node --transpile-only before.
 *
 *   node local/launch.js [start options]     (what `npm start` runs)
 */
const crypto = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const CACHE = path.join(ROOT, ".workers-stack", "cache", "ts");

// V8's code cache for every CommonJS module loaded from here on (Node 22.1+): Miniflare and
// @pulumi/pulumi are large, and parsing and compiling them is most of their load time. Node keys
// the cache by file and content, so a changed module is compiled afresh.
/** @type {{ enableCompileCache?: (dir: string) => unknown }} */ (Module).enableCompileCache?.(path.join(ROOT, ".workers-stack", "cache", "v8"));
/** @type {typeof import("esbuild") | undefined} */
let esbuild;
/**
 * What tsc makes of this project's TypeScript (tsconfig.json: commonjs, ES2022): CommonJS, class
 * fields defined, and `import()` turned into `require` as tsc does for commonjs.
 * @type {import("esbuild").TransformOptions}
 */
const OPTIONS = {
  loader: "ts",
  format: "cjs",
  target: "node22",
  supported: { "dynamic-import": false },
  // (esbuild reads esModuleInterop from a tsconfig although its TsconfigRaw type does not list it.)
  tsconfigRaw: /** @type {import("esbuild").TsconfigRaw} */ ({ compilerOptions: { esModuleInterop: true, useDefineForClassFields: true } }),
};

/** @param {string} source @param {string} filename */
function compile(source, filename) {
  if (!esbuild) esbuild = require("esbuild");
  const key = crypto.createHash("sha256").update(`${esbuild.version}\0${JSON.stringify(OPTIONS)}\0${filename}\0${source}`).digest("hex");
  const cached = path.join(CACHE, `${key}.js`);
  try {
    return fs.readFileSync(cached, "utf8");
  } catch {
    /* not compiled yet */
  }
  const { code } = esbuild.transformSync(source, { ...OPTIONS, sourcefile: filename });
  fs.mkdirSync(CACHE, { recursive: true });
  // Written under a temporary name and renamed: two starts at once never read half a file.
  const tmp = `${cached}.${process.pid}.${require("node:worker_threads").threadId}.tmp`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, cached);
  return code;
}

/** @type {Record<string, (m: NodeModule & { _compile(code: string, file: string): void }, filename: string) => void>} */
const extensions = /** @type {any} */ (Module)._extensions;
extensions[".ts"] = (m, filename) => m._compile(compile(fs.readFileSync(filename, "utf8"), filename), filename);

module.exports = { compile };

if (require.main === module) require("./start").run();
