/**
 * A worker's asset folder made ready for the provider. The provider (terraform-provider-cloudflare
 * v5.22 `workers_script`, assets.go) uploads every file under `assets.directory`, and it knows
 * nothing of `.assetsignore`, `_headers` or `_redirects`. wrangler uploads the files those rules
 * leave and sends `_headers` / `_redirects` as the assets config. So the program mirrors exactly
 * wrangler's file set into a staging folder (git-ignored), gives the provider that folder, and the
 * two files' contents as `config.headers` / `config.redirects`.
 *
 * The provider detects a change by `assetManifestSha256`, which it computes while planning from the
 * folder's files (path, sha256, size): unchanged files give the same hash and no diff, a changed,
 * added or removed file a new hash and an upload. `manifestSha256` below is that same hash, computed
 * the provider's way, so tests and outputs can see it without the provider.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { scanAssets, type AssetFile } from "../config/assets";

export interface StagedAssets {
  /** The staged folder, relative to the working directory the program runs in (as `contentFile`). */
  directory: string;
  /** Contents of the folder's `_headers` / `_redirects`, when present. */
  headers?: string;
  redirects?: string;
  /** The provider's `assetManifestSha256` of the staged folder. */
  manifestSha256: string;
  /** Files uploaded. */
  files: number;
}

/** Where a worker's staged assets go, relative to the project root (git-ignored). */
export function assetsStageDir(stack: string, worker: string): string {
  return `.workers-stack/assets/${stack}/${worker}`;
}

/**
 * Mirrors the files wrangler would upload from `dir` (project-relative) into `outDir`
 * (project-relative): a file is copied when its size or modification time differ from the copy,
 * files no longer uploaded are removed. Throws when the folder cannot be read.
 */
export function stageAssets(root: string, dir: string, outDir: string): StagedAssets {
  const src = path.resolve(root, dir);
  const dest = path.resolve(root, outDir);
  const scan = scanAssets(src, root);
  fs.mkdirSync(dest, { recursive: true });
  const keep = new Set<string>();
  for (const f of scan.files) {
    keep.add(f.rel);
    const from = path.join(src, f.rel);
    const to = path.join(dest, f.rel);
    const a = fs.statSync(from); // a link's target (scanAssets kept only links to files inside the project)
    const b = statOrUndefined(to);
    if (b?.isFile() && b.size === a.size && b.mtimeMs === a.mtimeMs) continue;
    if (b?.isDirectory()) fs.rmSync(to, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
    fs.utimesSync(to, a.atime, a.mtime);
  }
  prune(dest, "", keep);
  return {
    directory: path.relative(process.cwd(), dest).split(path.sep).join("/") || ".",
    ...(scan.headers !== undefined ? { headers: scan.headers } : {}),
    ...(scan.redirects !== undefined ? { redirects: scan.redirects } : {}),
    manifestSha256: manifestSha256(dest, scan.files),
    files: scan.files.length,
  };
}

/**
 * The provider's hash of an asset folder (assets.go `getAssetManifestHash`): the sha256 of Go's
 * JSON of `{ "/<path>": { "hash": <first 32 hex of the file's sha256>, "size": <bytes> } }`, keys
 * sorted, with Go's HTML escaping.
 */
export function manifestSha256(absDir: string, files: AssetFile[]): string {
  const manifest: Record<string, { hash: string; size: number }> = {};
  for (const f of [...files].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0))) {
    const hash = createHash("sha256").update(fs.readFileSync(path.join(absDir, f.rel))).digest("hex").slice(0, 32);
    manifest[`/${f.rel}`] = { hash, size: f.size };
  }
  const json = JSON.stringify(manifest).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return createHash("sha256").update(json).digest("hex");
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

/** Removes what is not in `keep` below `abs/rel`; returns true when the folder ended up empty. */
function prune(abs: string, rel: string, keep: Set<string>): boolean {
  let empty = true;
  for (const e of fs.readdirSync(path.join(abs, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory() && !e.isSymbolicLink()) {
      if (prune(abs, r, keep)) fs.rmdirSync(path.join(abs, r));
      else empty = false;
    } else if (keep.has(r)) empty = false;
    else fs.rmSync(path.join(abs, r), { force: true });
  }
  return empty;
}
