/**
 * Durable Object migration histories: the rule that a worker's declared history replays to exactly
 * the classes it hosts, and the planned (resolved) form of the history.
 */
import { ConfigIssue } from "./errors";
import { MigrationStepConfig, SystemConfig, WorkerConfig } from "./schema";

/** A step as the WorkersScript `migrations.steps` input takes it, with its tag. */
export interface PlannedMigrationStep {
  tag: string;
  newSqliteClasses?: string[];
  newClasses?: string[];
  renamedClasses?: { from: string; to: string }[];
  deletedClasses?: string[];
  /** `fromScript` is the physical script name (derived for a worker of this system). */
  transferredClasses?: { from: string; fromScript: string; to: string }[];
}

type Storage = "sqlite" | "kv" | "unknown";

/**
 * Every problem of one worker's history, with paths under `at` (e.g. `system.workers.api`):
 * duplicate tags, empty steps, steps that act on classes that do not (or already) exist, and a
 * final class set that differs from `durableObjects` — each with the step to add.
 */
export function checkMigrationHistory(at: string, key: string, worker: WorkerConfig, workers: SystemConfig["workers"]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const hosted = new Map(Object.entries(worker.durableObjects ?? {}).map(([c, d]) => [c, d.sqlite ? "sqlite" : "kv"] as const));
  const history = worker.durableObjectMigrations ?? [];
  const path = `${at}.durableObjectMigrations`;

  if (history.length === 0) {
    if (hosted.size > 0)
      issues.push({
        path,
        message: `the worker hosts Durable Object classes (${[...hosted.keys()].join(", ")}) but declares no migration history`,
        hint: `Cloudflare creates a class only through a migration step; add:\n  durableObjectMigrations:\n    - ${stepYaml("v1", [...hosted.keys()], hosted)}`,
      });
    return issues;
  }

  const classes = new Map<string, Storage>();
  const tags = new Set<string>();
  history.forEach((step, i) => checkStep(step, `${path}.${i}`, { key, workers, classes, tags, issues }));
  checkHistoryEnd(at, history[history.length - 1]!.tag, hosted, { classes, tags, issues });
  return issues;
}

/** The replay of a history so far: the classes that exist (with their storage) and the tags used. */
interface Replay {
  classes: Map<string, Storage>;
  tags: Set<string>;
  issues: ConfigIssue[];
}

/** One step, replayed onto `classes`: its tag is new, it changes something, each class it names exists (or not) as it must. */
function checkStep(step: MigrationStepConfig, at: string, r: Replay & { key: string; workers: SystemConfig["workers"] }): void {
  const { classes, tags, issues } = r;
  if (tags.has(step.tag)) issues.push({ path: `${at}.tag`, message: `tag "${step.tag}" is used by an earlier step`, hint: "every step needs its own tag (Cloudflare records the last one applied)" });
  tags.add(step.tag);
  if (operations(step) === 0)
    issues.push({ path: at, message: "the step changes nothing", hint: "give it newSqliteClasses, newClasses, renamedClasses, deletedClasses or transferredClasses" });

  // One class may be the target of only one operation per step (Cloudflare refuses it, 10074).
  const targets = new Set<string>();
  const target = (name: string, where: string) => {
    if (targets.has(name)) issues.push({ path: where, message: `class ${name} is the target of more than one operation in this step` });
    targets.add(name);
  };
  const create = (name: string, storage: Storage, where: string) => {
    target(name, where);
    if (classes.has(name)) issues.push({ path: where, message: `class ${name} already exists at this step`, hint: "a class is created once; rename or delete it in a later step" });
    classes.set(name, storage);
  };
  step.newSqliteClasses?.forEach((c, j) => create(c, "sqlite", `${at}.newSqliteClasses.${j}`));
  step.newClasses?.forEach((c, j) => create(c, "kv", `${at}.newClasses.${j}`));
  step.renamedClasses?.forEach((rn, j) => {
    const where = `${at}.renamedClasses.${j}`;
    const storage = classes.get(rn.from);
    if (storage === undefined) issues.push({ path: `${where}.from`, message: `class ${rn.from} does not exist at this step`, hint: existing(classes) });
    classes.delete(rn.from);
    create(rn.to, storage ?? "unknown", `${where}.to`);
  });
  step.deletedClasses?.forEach((c, j) => {
    const where = `${at}.deletedClasses.${j}`;
    target(c, where);
    if (!classes.has(c)) issues.push({ path: where, message: `class ${c} does not exist at this step`, hint: existing(classes) });
    classes.delete(c);
  });
  step.transferredClasses?.forEach((t, j) => {
    const where = `${at}.transferredClasses.${j}`;
    if (t.fromWorker !== undefined) {
      if (t.fromWorker === r.key) issues.push({ path: `${where}.fromWorker`, message: "a class cannot be transferred from its own worker", hint: "use renamedClasses" });
      else if (!Object.prototype.hasOwnProperty.call(r.workers, t.fromWorker))
        issues.push({ path: `${where}.fromWorker`, message: `worker "${t.fromWorker}" is not declared`, hint: `declared workers: ${Object.keys(r.workers).join(", ")} (use fromScript for a script outside this system)` });
    }
    create(t.to, "unknown", `${where}.to`);
  });
}

/** The history ends in exactly the hosted classes, with the same storage (paths under the worker's `at`). */
function checkHistoryEnd(at: string, lastTag: string, hosted: Map<string, "sqlite" | "kv">, { classes, tags, issues }: Replay): void {
  const path = `${at}.durableObjectMigrations`;
  const missing = [...hosted.keys()].filter((c) => !classes.has(c));
  const extra = [...classes.keys()].filter((c) => !hosted.has(c));
  const next = nextTag(lastTag, tags);
  if (missing.length > 0)
    issues.push({
      path,
      message: `durableObjects hosts ${missing.join(", ")}, which no migration step creates`,
      hint: `add a step at the end:\n    - ${stepYaml(next, missing, hosted)}\n  (or, if ${missing.length === 1 ? "it is" : "they are"} an existing class renamed, a step with renamedClasses: [{ from: <old>, to: ${missing[0]} }])`,
    });
  if (extra.length > 0)
    issues.push({
      path,
      message: `after the last migration step the script still has ${extra.join(", ")}, which durableObjects does not host`,
      hint: `declare ${extra.length === 1 ? "it" : "them"} under durableObjects, or add a step at the end:\n    - { tag: ${next}, deletedClasses: [${extra.join(", ")}] }   # deletes every object and its data\n  (or renamedClasses: [{ from: ${extra[0]}, to: <new name> }] to keep the data)`,
    });
  for (const [c, storage] of classes) {
    const want = hosted.get(c);
    if (want !== undefined && storage !== "unknown" && storage !== want)
      issues.push({
        path: `${at}.durableObjects.${c}`,
        message: `class ${c} is created with ${storage === "sqlite" ? "SQLite" : "key-value"} storage by its migration step but declared sqlite: ${want === "sqlite"}`,
        hint: "a class's storage cannot change after it is created: make sqlite match the step",
      });
  }
}

/** The history with tags kept and `fromWorker` resolved to that worker's script name. */
export function planMigrationHistory(steps: MigrationStepConfig[] | undefined, scriptName: (workerKey: string) => string): PlannedMigrationStep[] {
  return (steps ?? []).map((s) => ({
    tag: s.tag,
    ...(s.newSqliteClasses?.length ? { newSqliteClasses: [...s.newSqliteClasses] } : {}),
    ...(s.newClasses?.length ? { newClasses: [...s.newClasses] } : {}),
    ...(s.renamedClasses?.length ? { renamedClasses: s.renamedClasses.map((r) => ({ from: r.from, to: r.to })) } : {}),
    ...(s.deletedClasses?.length ? { deletedClasses: [...s.deletedClasses] } : {}),
    ...(s.transferredClasses?.length
      ? { transferredClasses: s.transferredClasses.map((t) => ({ from: t.from, fromScript: t.fromScript ?? scriptName(t.fromWorker!), to: t.to })) }
      : {}),
  }));
}

function operations(s: MigrationStepConfig): number {
  return (
    (s.newSqliteClasses?.length ?? 0) + (s.newClasses?.length ?? 0) + (s.renamedClasses?.length ?? 0) + (s.deletedClasses?.length ?? 0) + (s.transferredClasses?.length ?? 0)
  );
}

function existing(classes: Map<string, Storage>): string {
  return classes.size ? `classes at this step: ${[...classes.keys()].join(", ")}` : "no class exists at this step";
}

/** `v3` after `v2`; otherwise `<last>-2`, bumped until unused. */
function nextTag(last: string, used: Set<string>): string {
  const m = /^(.*?)(\d+)$/.exec(last);
  let candidate = m ? `${m[1]}${Number(m[2]) + 1}` : `${last}-2`;
  while (used.has(candidate)) candidate = `${candidate}-next`;
  return candidate;
}

function stepYaml(tag: string, names: string[], hosted: Map<string, string>): string {
  const sqlite = names.filter((c) => hosted.get(c) !== "kv");
  const kv = names.filter((c) => hosted.get(c) === "kv");
  return `{ tag: ${tag}${sqlite.length ? `, newSqliteClasses: [${sqlite.join(", ")}]` : ""}${kv.length ? `, newClasses: [${kv.join(", ")}]` : ""} }`;
}
