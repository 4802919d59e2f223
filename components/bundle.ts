/**
 * Deterministic worker bundles: the same sources give the same bytes on every machine, so
 * `contentSha256` only changes when the code does and a second `pulumi up` changes nothing.
 *
 * Bundling happens in the program's preflight, before any resource is registered (a worker that
 * does not compile is a configuration problem like any other); the Worker component receives the
 * finished bundle.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { DEFAULT_BUNDLE_OPTIONS, type BundleOptions } from "../config/scriptSettings";

export interface Bundle {
  /**
   * The bundle's path relative to the working directory the program runs in (what `contentFile`
   * is given; the provider runs in the same directory). For a project at the repository root
   * that is the project-relative path; for a project with `main: ../..` it includes the way down.
   */
  contentFile: string;
  /** Hex sha256 of the bundle (what `contentSha256` is given). */
  sha256: string;
  /** The module name the bundle is uploaded as. */
  mainModule: string;
  /** Its source map, when the worker uploads one (`uploadSourceMaps`): sent as a `files` part. */
  sourceMap?: { name: string; contentFile: string; sha256: string };
}

/** What bundling one entry gave: the bytes, or esbuild's errors (each with its file and line). */
export type BuiltBundle = { ok: true; bytes: Buffer; gzipBytes: number; map?: Buffer } | { ok: false; errors: string[] };

export const MAIN_MODULE = "worker.js";
/** The source map's part name (what the bundle's `sourceMappingURL` comment names). */
export const SOURCE_MAP = `${MAIN_MODULE}.map`;

/**
 * Environment variables a child process must not inherit. Under `pulumi up` the whole stack
 * config is in PULUMI_CONFIG; a large var makes it exceed the kernel's limit for one environment
 * string (128 KiB on Linux) and every spawn fails with E2BIG. esbuild's JS API talks to its
 * native binary as a child process that inherits the environment: it must not see these.
 */
const CONFIG_ENV = ["PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS"];
const LARGE_ENV = 32 * 1024;

/** Runs `fn` with the Pulumi config (and any very large variable) out of process.env. */
export function withoutConfigInEnv<T>(fn: () => T): T {
  const saved: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && (CONFIG_ENV.includes(k) || v.length > LARGE_ENV)) {
      saved[k] = v;
      delete process.env[k];
    }
  }
  try {
    return fn();
  } finally {
    Object.assign(process.env, saved);
  }
}

/**
 * Bundles `entry` (project-relative) as one ES module, in memory, for `<outDir>/worker.js` (the
 * output path shapes the bytes, so it is the one the bundle is written to). `options` are the
 * worker's build settings (minify, keepNames, define, alias, a source map): the deploy bundle and
 * the local runner's build both come from here, so they agree. Never throws for a build error.
 */
export function buildBundle(root: string, entry: string, outDir: string, options: BundleOptions = DEFAULT_BUNDLE_OPTIONS): BuiltBundle {
  let result: esbuild.BuildResult & { outputFiles: esbuild.OutputFile[] };
  try {
    result = withoutConfigInEnv(() =>
      esbuild.buildSync({
        absWorkingDir: root,
        entryPoints: [entry],
        bundle: true,
        write: false,
        format: "esm",
        platform: "browser",
        target: "es2022",
        conditions: ["workerd", "worker", "browser"],
        mainFields: ["browser", "module", "main"],
        external: ["cloudflare:*", "node:*"],
        outfile: path.join(outDir, MAIN_MODULE),
        charset: "utf8",
        legalComments: "none",
        // A linked map: the bundle ends with `//# sourceMappingURL=worker.js.map`, the map's part name.
        sourcemap: options.sourceMap ? "linked" : false,
        ...(options.minify ? { minify: true } : {}),
        ...(options.keepNames ? { keepNames: true } : {}),
        ...(Object.keys(options.define).length ? { define: options.define } : {}),
        ...(Object.keys(options.alias).length ? { alias: options.alias } : {}),
        logLevel: "silent",
      }),
    );
  } catch (e) {
    const failure = e as Partial<esbuild.BuildFailure>;
    const errors = (failure.errors ?? []).map(
      (m) => `${m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ` : ""}${m.text}`,
    );
    return { ok: false, errors: errors.length ? errors : [e instanceof Error ? e.message : String(e)] };
  }
  const output = result.outputFiles.find((f) => path.basename(f.path) === MAIN_MODULE);
  if (!output) return { ok: false, errors: [`esbuild produced no ${MAIN_MODULE}`] };
  const bytes = Buffer.from(output.contents);
  const map = options.sourceMap ? result.outputFiles.find((f) => path.basename(f.path) === SOURCE_MAP) : undefined;
  if (options.sourceMap && !map) return { ok: false, errors: [`esbuild produced no ${SOURCE_MAP}`] };
  return { ok: true, bytes, gzipBytes: gzipSync(bytes).length, ...(map ? { map: Buffer.from(map.contents) } : {}) };
}

/**
 * Writes bundle bytes to `<outDir>/worker.js` (project-relative), and its source map beside it when
 * given, each only when it changed.
 */
export function writeBundle(root: string, bytes: Buffer, outDir: string, map?: Buffer): Bundle {
  const write = (name: string, data: Buffer) => {
    const abs = path.resolve(root, outDir, name);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    if (!fs.existsSync(abs) || !fs.readFileSync(abs).equals(data)) fs.writeFileSync(abs, data);
    return { contentFile: path.relative(process.cwd(), abs).split(path.sep).join("/"), sha256: createHash("sha256").update(data).digest("hex") };
  };
  const main = write(MAIN_MODULE, bytes);
  return { ...main, mainModule: MAIN_MODULE, ...(map ? { sourceMap: { name: SOURCE_MAP, ...write(SOURCE_MAP, map) } } : {}) };
}

/**
 * Bundles `entry` (project-relative) into `<outDir>/worker.js` (project-relative) as one ES module.
 * Throws when it does not build. The program bundles in its preflight instead (see program.ts).
 */
export function bundleWorker(root: string, entry: string, outDir: string, options: BundleOptions = DEFAULT_BUNDLE_OPTIONS): Bundle {
  const built = buildBundle(root, entry, outDir, options);
  if (!built.ok) throw new Error(`workers-stack: could not bundle ${entry}:\n  ${built.errors.join("\n  ")}`);
  return writeBundle(root, built.bytes, outDir, built.map);
}
