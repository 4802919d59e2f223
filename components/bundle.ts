/**
 * Deterministic worker bundles: the same sources give the same bytes on every machine, so
 * `contentSha256` only changes when the code does and a second `pulumi up` changes nothing.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as esbuild from "esbuild";

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
}

export const MAIN_MODULE = "worker.js";

/**
 * Bundles `entry` (project-relative) into `<outDir>/worker.js` (project-relative) as one ES module.
 * The file is rewritten only when its bytes change.
 */
export function bundleWorker(root: string, entry: string, outDir: string): Bundle {
  let result: esbuild.BuildResult & { outputFiles: esbuild.OutputFile[] };
  try {
    result = esbuild.buildSync({
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
      sourcemap: false,
      logLevel: "silent",
    });
  } catch (e) {
    const failure = e as esbuild.BuildFailure;
    const messages = (failure.errors ?? []).map((m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ""}${m.text}`);
    throw new Error(`workers-stack: could not bundle ${entry}:\n  ${messages.join("\n  ") || String(e)}`);
  }
  const output = result.outputFiles.find((f) => f.path.endsWith(MAIN_MODULE));
  if (!output) throw new Error(`workers-stack: esbuild produced no ${MAIN_MODULE} for ${entry}`);
  const bytes = Buffer.from(output.contents);
  const abs = path.resolve(root, outDir, MAIN_MODULE);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  if (!fs.existsSync(abs) || !fs.readFileSync(abs).equals(bytes)) fs.writeFileSync(abs, bytes);
  return {
    contentFile: path.relative(process.cwd(), abs).split(path.sep).join("/"),
    sha256: createHash("sha256").update(bytes).digest("hex"),
    mainModule: MAIN_MODULE,
  };
}

