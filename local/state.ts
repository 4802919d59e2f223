/**
 * The local runner's state folder: D1 files, KV entries and generated secrets (user data). It is
 * readable by its owner only, and `--fresh` only ever deletes a folder that is this project's
 * local state — never a folder given by mistake (`--stack ../../..`, `--state ~`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { checkStackName } from "../config/names";

/** Written into every state folder the runner creates: proof that `--fresh` may delete it. */
export const STATE_MARKER = ".workers-stack-local-state";

/** The default state folder of a stack: `<root>/.workers-stack/local/<stack>`. */
export function defaultStateDir(root: string, stack: string): string {
  return path.join(root, ".workers-stack", "local", checkStackName(stack));
}

/**
 * Creates (or, with `fresh`, first wipes) the state folder, mode 0700. Refuses to wipe a folder
 * that is neither below `<root>/.workers-stack/` nor marked as local state by an earlier run.
 */
export function prepareStateDir(root: string, stateDir: string, fresh: boolean): void {
  const dir = path.resolve(stateDir);
  if (fresh && fs.existsSync(dir)) {
    const own = path.resolve(root, ".workers-stack");
    const inside = dir.startsWith(own + path.sep);
    const marked = fs.existsSync(path.join(dir, STATE_MARKER));
    const empty = fs.statSync(dir).isDirectory() && fs.readdirSync(dir).length === 0;
    if (!inside && !marked && !empty)
      throw Object.assign(
        new Error(`--fresh would delete ${dir}, which is not local state of this project (not below ${own}, no ${STATE_MARKER} in it): delete it yourself, or pick another --state`),
        { exitCode: 2 },
      );
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode does not change an existing folder (or one made before this rule): set it.
  fs.chmodSync(dir, 0o700);
  const marker = path.join(dir, STATE_MARKER);
  if (!fs.existsSync(marker)) fs.writeFileSync(marker, "workers-stack local state (npm start --fresh may delete this folder)\n", { mode: 0o600 });
}
