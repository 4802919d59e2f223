/**
 * Workers present on some stacks only (`stacks: [dev, staging]`). On a stack a worker is absent
 * from, it is not deployed and does not count in any rule; anything of a present worker that
 * binds it, runs its workflow or tails it is an error naming the stack.
 */
import type { ConfigIssue } from "./errors";
import { declaredKindOf } from "./bindingKinds";
import { workflowHosts } from "./graph";
import { didYouMean } from "./limits";
import type { WorkerConfig } from "./schema";

/** The keys of the workers absent from `stack` (their `stacks` do not list it). */
export function absentWorkers(workers: Record<string, WorkerConfig>, stack: string): string[] {
  return Object.entries(workers)
    .filter(([, w]) => w.stacks !== undefined && !w.stacks.includes(stack))
    .map(([key]) => key);
}

/**
 * Reports every reference from a worker present on `stack` to a worker absent from it: service
 * bindings, Durable Object classes of another worker, workflows hosted by it, tail consumers.
 */
export function checkPresence(workers: Record<string, WorkerConfig>, absent: Set<string>, stack: string, issues: ConfigIssue[]): void {
  if (!absent.size) return;
  const on = (key: string) => {
    const stacks = workers[key]?.stacks ?? [];
    return `worker "${key}" does not exist on stack ${stack} (its stacks: ${stacks.join(", ")})`;
  };
  const fix = (key: string) => `add ${stack} to system.workers.${key}.stacks, or remove the reference on this stack (set it to null in Pulumi.${stack}.yaml overrides)`;
  const wfHosts = workflowHosts({ workers });
  for (const [key, w] of Object.entries(workers)) {
    if (absent.has(key)) continue;
    const at = `system.workers.${key}`;
    for (const [name, b] of Object.entries(w.bindings ?? {})) {
      const kind = declaredKindOf(b);
      const workflow = b.workflow as string | undefined;
      const target =
        kind?.config.refers?.collection === "workers"
          ? (b[kind.config.target] as string | undefined)
          : b.durableObject !== undefined
            ? (b.worker as string | undefined)
            : workflow !== undefined
              ? wfHosts.get(workflow)
              : undefined;
      if (target !== undefined && target !== key && absent.has(target))
        issues.push({ path: `${at}.bindings.${name}`, message: `binds ${workflow !== undefined ? `workflow "${workflow}" of ` : ""}${on(target)}`, hint: fix(target) });
    }
    // Tail consumers by worker key (a settings key): read loosely, so the rule holds once it exists.
    const tails = (w as { tailConsumers?: unknown }).tailConsumers;
    if (Array.isArray(tails))
      tails.forEach((t: unknown, i) => {
        const target = t && typeof t === "object" ? (t as { worker?: unknown }).worker : undefined;
        if (typeof target === "string" && absent.has(target)) issues.push({ path: `${at}.tailConsumers.${i}`, message: `is tailed by ${on(target)}`, hint: fix(target) });
      });
  }
  if (absent.size === Object.keys(workers).length)
    issues.push({ path: "system.workers", message: `no worker exists on stack ${stack}: every worker's stacks leave it out`, hint: `add ${stack} to some worker's stacks` });
}

/**
 * Each stack a worker's `stacks` lists is a stack of the project (a `Pulumi.<stack>.yaml` beside
 * Pulumi.yaml, or the stack being run): a misspelt `stagin` would leave the worker off everywhere.
 */
export function checkStackNames(workers: Record<string, WorkerConfig>, projectFiles: string[] | undefined, stack: string, issues: ConfigIssue[]): void {
  const files = (projectFiles ?? []).map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1]).filter((s): s is string => s !== undefined);
  if (!files.length) return;
  const known = [...new Set([...files, stack])].sort();
  for (const [key, w] of Object.entries(workers))
    (w.stacks ?? []).forEach((s, i) => {
      if (known.includes(s)) return;
      const near = didYouMean(s, known);
      issues.push({
        path: `system.workers.${key}.stacks.${i}`,
        message: `stack "${s}" is not a stack of this project${near ? ` (did you mean "${near}"?)` : ""}: there is no Pulumi.${s}.yaml`,
        hint: `the project's stacks: ${known.join(", ")}`,
      });
    });
}
