/**
 * `npm start --watch`: file watching for the local runner.
 *
 * - A worker's source (any file esbuild reads for its bundle, shared modules outside the project
 *   included) changes: the workers built from it are re-bundled and the ones whose bundle changed
 *   are reloaded. D1, KV and every other state stay (they live in the state folder).
 * - The declaration changes (Pulumi.yaml, Pulumi.<stack>.yaml, .dev.vars, .dev.vars.<stack>, a
 *   migration file): the program is evaluated again and what changed is applied and printed.
 * - Either fails (a syntax error, a config error, code workerd refuses): the error is printed and
 *   the previous version keeps serving.
 *
 * Folders are watched, not files, so editors that save by renaming are seen too. Events within
 * DEBOUNCE_MS are taken together; reloads run one after another.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { LocalOptions, LocalStack, ReloadReport } from "./runner";

const DEBOUNCE_MS = 20;

export interface Watcher {
  close(): Promise<void>;
}

export async function watchLocal(local: LocalStack, opts: Pick<LocalOptions, "root" | "stack">, log: (line: string) => void): Promise<Watcher> {
  const declarationFiles = new Set(["Pulumi.yaml", `Pulumi.${opts.stack}.yaml`, ".dev.vars", `.dev.vars.${opts.stack}`].map((f) => path.join(opts.root, f)));
  let sources = new Map<string, string[]>();
  let migrationDirs = new Set<string>();
  const watchers = new Map<string, fs.FSWatcher>();
  let closed = false;

  /** Which workers are built from a file. */
  const workersOf = (file: string) => [...sources].filter(([, files]) => files.includes(file)).map(([key]) => key);

  const pendingCode = new Set<string>();
  let pendingDeclaration = false;
  let pendingAssets = false;
  let assetDirs = new Set<string>();
  const inAssets = (file: string) => [...assetDirs].some((d) => file === d || file.startsWith(d + path.sep));
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const onEvent = (dir: string, name: string | null) => {
    if (closed || !name) return;
    const file = path.join(dir, name);
    if (declarationFiles.has(file) || (migrationDirs.has(dir) && name.endsWith(".sql"))) pendingDeclaration = true;
    else if (inAssets(file)) pendingAssets = true;
    else for (const key of workersOf(file)) pendingCode.add(key);
    if (!pendingDeclaration && !pendingCode.size && !pendingAssets) return;
    clearTimeout(timer);
    timer = setTimeout(() => (running = running.then(flush)), DEBOUNCE_MS);
  };

  const flush = async () => {
    if (closed) return;
    const declaration = pendingDeclaration;
    const keys = [...pendingCode];
    const assets = pendingAssets;
    pendingDeclaration = false;
    pendingAssets = false;
    pendingCode.clear();
    let report: ReloadReport;
    if (declaration) report = await local.reloadDeclaration();
    else if (keys.length) report = await local.reloadCode(keys);
    // An asset file changed: its bytes are read on each request, but the list of files is built
    // at start, so workerd restarts with the same options (the declaration reload does it too).
    else if (assets) report = await local.reloadAssets();
    else return;
    const what = declaration ? "declaration" : keys.length ? "source" : "asset";
    if (report.error) log(`[watch] ${what} change not applied, the previous version keeps serving:\n${indent(report.error)}`);
    else if (report.changes.length) log(`[watch] reloaded in ${report.seconds.toFixed(2)} s: ${report.changes.join("; ")}`);
    else log(`[watch] ${what} changed: nothing to reload`);
    await refresh();
  };

  /** (Re)computes what to watch: the source files of every bundle, the migration folders. */
  const refresh = async () => {
    try {
      sources = await local.sources();
    } catch {
      // A source that does not bundle: keep the last known list (the error was printed).
    }
    migrationDirs = new Set(local.migrationDirs());
    assetDirs = new Set(local.assetDirs());
    // Asset folders are watched with their subfolders (recursive: Linux since Node 20, macOS, Windows).
    for (const dir of assetDirs) {
      if (watchers.has(dir) || closed) continue;
      try {
        const w = fs.watch(dir, { recursive: true }, (_event, name) => onEvent(dir, typeof name === "string" ? name : null));
        w.on("error", () => undefined);
        watchers.set(dir, w);
      } catch {
        /* a folder that went away */
      }
    }
    const dirs = new Set([opts.root, ...migrationDirs, ...[...sources.values()].flat().map((f) => path.dirname(f))]);
    for (const dir of dirs) {
      if (watchers.has(dir) || closed) continue;
      try {
        const w = fs.watch(dir, (_event, name) => onEvent(dir, typeof name === "string" ? name : null));
        w.on("error", () => undefined);
        watchers.set(dir, w);
      } catch {
        /* a folder that went away */
      }
    }
  };

  await refresh();
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      await running.catch(() => undefined);
    },
  };
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}
