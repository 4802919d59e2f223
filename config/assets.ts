/**
 * Static assets of a worker (wrangler's `assets`): the declared shape, wrangler's rules for
 * `run_worker_first`, Cloudflare's limits on an asset directory, and which files of the directory
 * are uploaded (wrangler's rules: `.assetsignore`, `_headers` and `_redirects` are read, never
 * served). Pure apart from `scanAssets`, which reads the directory.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { bindingName } from "./fields";

export const HTML_HANDLING = ["auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none"] as const;
export const NOT_FOUND_HANDLING = ["none", "404-page", "single-page-application"] as const;

/** `workers.<key>.assets`: the static assets a worker serves (wrangler's `[assets]`). */
export const assetsSchema = z.strictObject({
  /** Folder of the files to serve, relative to the project root (wrangler's `directory`). */
  directory: z.string().min(1),
  /** Name of the binding the worker's code fetches assets with (`env.ASSETS.fetch(request)`). @default no binding */
  binding: bindingName.optional(),
  /**
   * Redirects and rewrites of HTML paths (`/about` ↔ `/about/` ↔ `/about.html`).
   * @default auto-trailing-slash (Cloudflare's)
   */
  htmlHandling: z.enum(HTML_HANDLING, { error: `must be one of ${HTML_HANDLING.join(", ")}` }).optional(),
  /**
   * What a request that matches no file gets: `none` (404, or the worker when it has code),
   * `404-page` (the nearest `404.html`), `single-page-application` (`/index.html` with 200).
   * @default none (Cloudflare's)
   */
  notFoundHandling: z.enum(NOT_FOUND_HANDLING, { error: `must be one of ${NOT_FOUND_HANDLING.join(", ")}` }).optional(),
  /**
   * `true`: every request runs the worker first (it reaches the files through `binding`); a list
   * of path rules (`/api/*`, `!/api/docs/*`): matching requests run the worker first, the others
   * are served from the files when one matches. @default false (a matching file is served first)
   */
  runWorkerFirst: z.union([z.boolean(), z.array(z.string())], { error: "must be true, false or a list of path rules such as /api/*" }).optional(),
  /** The URL path prefix the assets are served under, e.g. `/blog` (wrangler's `base_path`). @default / */
  basePath: z.string().regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, { error: "must be a URL path starting with /, e.g. /blog" }).optional(),
});
export type AssetsConfig = z.infer<typeof assetsSchema>;

// wrangler 4.156 (workers-shared/utils/configuration/constants.ts): at most 100 rules of fewer than
// 100 characters each.
const MAX_RULES = 100;
const MAX_RULE_LENGTH = 100;

/**
 * What is wrong with a `runWorkerFirst` list, by wrangler's own rules (parseStaticRouting):
 * at least one rule, at most 100; each starts with `/` or `!/`; at least one rule that is not a
 * negation; no duplicates; no rule made redundant by a `*` rule; each under 100 characters.
 */
export function runWorkerFirstProblems(rules: string[]): string[] {
  if (rules.length === 0) return ["no rules: give at least one, e.g. /api/*, or use true / false"];
  if (rules.length > MAX_RULES) return [`${rules.length} rules; Cloudflare allows at most ${MAX_RULES}`];
  const problems: string[] = [];
  const positive: string[] = [];
  const negative: string[] = [];
  for (const rule of rules) {
    if (rule.startsWith("!/")) negative.push(rule);
    else if (rule.startsWith("/")) positive.push(rule);
    else if (rule.startsWith("!")) problems.push(`"${rule}": a negative rule starts with !/`);
    else problems.push(`"${rule}": a rule starts with / or !/`);
  }
  if (negative.length && !positive.length) problems.push("only negative rules: give at least one rule without !");
  for (const group of [positive, negative]) {
    const seen = new Set<string>();
    for (const rule of group) {
      if (rule.length > MAX_RULE_LENGTH) problems.push(`"${rule.slice(0, 40)}...": a rule is at most ${MAX_RULE_LENGTH - 1} characters`);
      if (seen.has(rule)) problems.push(`"${rule}": duplicate rule`);
      seen.add(rule);
      if (rule.endsWith("*"))
        for (const other of group) if (other !== rule && other.startsWith(rule.slice(0, -1))) problems.push(`"${other}": rule "${rule}" already covers it`);
    }
  }
  return problems;
}

// https://developers.cloudflare.com/workers/static-assets/#limits (and wrangler's MAX_ASSET_SIZE):
// "Individual file size: 25 MiB"; "Number of files per Worker version: 20,000 (Free),
// 100,000 (Paid)".
export const ASSET_LIMITS = { fileBytes: 25 * 1024 * 1024, files: { free: 20_000, paid: 100_000 } };

export const ASSETS_IGNORE_FILE = ".assetsignore";
export const HEADERS_FILE = "_headers";
export const REDIRECTS_FILE = "_redirects";

/** One file that is uploaded: its path below the directory (with `/`) and its size. */
export interface AssetFile {
  rel: string;
  size: number;
}

/** What the directory holds, as wrangler would upload it. */
export interface AssetScan {
  files: AssetFile[];
  /** Contents of `_headers` / `_redirects` (sent as the assets config, never uploaded as files). */
  headers?: string;
  redirects?: string;
  /** Reasons wrangler would refuse the directory (each a sentence). */
  problems: string[];
}

/**
 * Lists the files of an asset directory that wrangler 4.156 uploads (deploy-helpers
 * buildAssetManifest): every regular file except `.assetsignore`, `_headers`, `_redirects` and
 * what `.assetsignore` excludes (gitignore patterns). Like wrangler, a link to a file is followed
 * and a link to a folder is skipped; unlike wrangler, a link that leads out of `projectRoot` is
 * refused (it would publish a file from elsewhere on the machine). A file over 25 MiB, and a
 * Pages `_worker.js` without an `.assetsignore`, are refused as wrangler refuses them. Sorted by path.
 */
export function scanAssets(absDir: string, projectRoot: string = absDir): AssetScan {
  const problems: string[] = [];
  const ignoreFile = path.join(absDir, ASSETS_IGNORE_FILE);
  const ignoreText = readText(ignoreFile);
  const ignored = ignoreMatcher([`/${ASSETS_IGNORE_FILE}`, `/${HEADERS_FILE}`, `/${REDIRECTS_FILE}`, ...(ignoreText?.split("\n") ?? [])]);
  const files: AssetFile[] = [];
  const walk = (relDir: string) => {
    for (const entry of fs.readdirSync(path.join(absDir, relDir), { withFileTypes: true })) {
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
      if (entry.isSymbolicLink()) {
        let target: string;
        try {
          target = fs.realpathSync(path.join(absDir, rel));
        } catch {
          continue; // a dangling link: nothing to upload (wrangler's stat would fail on it)
        }
        if (!fs.statSync(target).isFile() || ignored(rel, false)) continue;
        const base = fs.realpathSync(projectRoot);
        if (!target.startsWith(base + path.sep)) {
          problems.push(`${rel} is a link to ${target}, outside the project: copy the file into the folder instead (it would be published)`);
          continue;
        }
        files.push({ rel, size: fs.statSync(target).size });
        continue;
      }
      if (entry.isDirectory()) {
        if (!ignored(rel, true)) walk(rel);
        continue;
      }
      if (!entry.isFile() || ignored(rel, false)) continue;
      const size = fs.statSync(path.join(absDir, rel)).size;
      if (size > ASSET_LIMITS.fileBytes) problems.push(`${rel} is ${(size / 1024 / 1024).toFixed(1)} MiB; Cloudflare serves asset files of at most 25 MiB`);
      if (ignoreText === undefined && (rel === "_worker.js" || rel.startsWith("_worker.js/")))
        problems.push(`${rel} would be uploaded as a public asset (a Pages worker?): remove it, or add an ${ASSETS_IGNORE_FILE} listing _worker.js (wrangler refuses it too)`);
      files.push({ rel, size });
    }
  };
  walk("");
  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const headers = readText(path.join(absDir, HEADERS_FILE));
  const redirects = readText(path.join(absDir, REDIRECTS_FILE));
  return { files, ...(headers !== undefined ? { headers } : {}), ...(redirects !== undefined ? { redirects } : {}), problems };
}

function readText(file: string): string | undefined {
  try {
    return fs.statSync(file).isFile() ? fs.readFileSync(file, "utf8") : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A matcher for gitignore-style patterns (what `.assetsignore` holds): `#` comments, `!`
 * negation (the last matching pattern wins), a leading or inner `/` anchors to the directory, a
 * trailing `/` matches folders only, `*` and `?` within one segment, `**` across segments. A file
 * inside an ignored folder is ignored. Letter case is ignored, as wrangler's `ignore` package does.
 */
export function ignoreMatcher(lines: string[]): (rel: string, isDir: boolean) => boolean {
  const rules = lines
    .map((l) => l.replace(/\r$/, "").replace(/(?<!\\)\s+$/, ""))
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((line) => {
      const negate = line.startsWith("!");
      let p = negate ? line.slice(1) : line;
      const dirOnly = p.endsWith("/");
      if (dirOnly) p = p.slice(0, -1);
      const anchored = p.includes("/");
      if (p.startsWith("/")) p = p.slice(1);
      const body = p
        .split("/")
        .map((seg) =>
          seg === "**"
            ? "\u0000"
            : seg
                .replace(/\\(.)/g, "$1")
                .replace(/[.+^${}()|[\]\\]/g, "\\$&")
                .replace(/\*/g, "[^/]*")
                .replace(/\?/g, "[^/]"),
        )
        .join("/")
        .replace(/\u0000\//g, "(?:.*/)?")
        .replace(/\/\u0000/g, "(?:/.*)?")
        .replace(/\u0000/g, ".*");
      // Case-insensitive, as the `ignore` package wrangler uses (ignorecase defaults to true).
      return { negate, dirOnly, re: new RegExp(`^${anchored ? "" : "(?:.*/)?"}${body}$`, "i") };
    });
  const matches = (rel: string, isDir: boolean): boolean => {
    let result = false;
    for (const r of rules) if ((!r.dirOnly || isDir) && r.re.test(rel)) result = !r.negate;
    return result;
  };
  return (rel, isDir) => {
    // A file inside an ignored folder is ignored (gitignore cannot re-include it).
    const parts = rel.split("/");
    for (let i = 1; i < parts.length; i++) if (matches(parts.slice(0, i).join("/"), true)) return true;
    return matches(rel, isDir);
  };
}
