/**
 * Dependency depth: the longest chain of resources a `pulumi up` must create one after another,
 * from what the program registered (each resource's dependencies and parent). Only custom
 * resources count — components create nothing in the cloud. Beside it, the number of manual
 * steps a seed runbook lists for the same system.
 */
import { deepMerge, isPlainObject } from "../../config/merge";
import { evaluateStack, RegisteredResource } from "../../harness/evaluate";
import { readStackConfig } from "../../harness/pulumiConfig";

/** The fields of a registered resource the depth needs. */
export type DependencyNode = Pick<RegisteredResource, "urn" | "type" | "name" | "custom" | "parent" | "dependencies">;

export interface DependencyDepth {
  /** Custom resources in the longest chain (0 when none is registered). */
  depth: number;
  /** That chain, first created first: `<type token's last part>:<name>`. */
  chain: string[];
  /** Custom resources registered. */
  customResources: number;
}

/**
 * The longest chain of custom resources that must be created one after another.
 *
 * A custom resource waits for every resource in its `dependencies` (explicit `dependsOn` and the
 * resources its inputs come from) and for its parent when the parent is a custom resource. A
 * dependency on a component means waiting for every custom resource below it (Pulumi expands it
 * the same way). URNs that were not registered (the stack root, providers) are ignored.
 * Throws when the dependencies form a cycle (the engine would refuse it too).
 */
export function dependencyDepth(resources: DependencyNode[]): DependencyDepth {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const children = new Map<string, DependencyNode[]>();
  for (const r of resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);

  const below = new Map<string, string[]>();
  /** The custom resources that waiting for `urn` means waiting for. */
  const expand = (urn: string): string[] => {
    const r = byUrn.get(urn);
    if (!r) return [];
    if (r.custom) return [urn];
    let out = below.get(urn);
    if (!out) {
      below.set(urn, []); // a component cannot contain itself; guards malformed input
      out = (children.get(urn) ?? []).flatMap((c) => (c.custom ? [c.urn, ...descendants(c.urn)] : expand(c.urn)));
      below.set(urn, out);
    }
    return out;
  };
  const descendants = (urn: string): string[] => (children.get(urn) ?? []).flatMap((c) => (c.custom ? [c.urn, ...descendants(c.urn)] : expand(c.urn)));

  const longest = new Map<string, { length: number; next?: string }>();
  const visiting = new Set<string>();
  const visit = (urn: string): number => {
    const known = longest.get(urn);
    if (known) return known.length;
    if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
    visiting.add(urn);
    const r = byUrn.get(urn)!;
    const waits = new Set(r.dependencies.flatMap(expand));
    const parent = byUrn.get(r.parent);
    if (parent?.custom) waits.add(parent.urn);
    waits.delete(urn);
    let best: { length: number; next?: string } = { length: 1 };
    for (const d of [...waits].sort()) {
      const l = visit(d) + 1;
      if (l > best.length) best = { length: l, next: d };
    }
    visiting.delete(urn);
    longest.set(urn, best);
    return best.length;
  };

  const customs = resources.filter((r) => r.custom);
  let start: string | undefined;
  for (const r of customs) if (start === undefined || visit(r.urn) > visit(start)) start = r.urn;
  const chain: string[] = [];
  for (let u = start; u; u = longest.get(u)!.next) {
    const r = byUrn.get(u)!;
    chain.unshift(`${r.type.split(":").pop()}:${r.name}`);
  }
  return { depth: start ? visit(start) : 0, chain, customResources: customs.length };
}

/**
 * The dependency depth of a project's stack (e.g. an example's root), evaluated under the mocks.
 * Config secrets the caller does not give get stand-in values, and a missing account or zone id
 * a stand-in id: the depth does not depend on them.
 */
export async function projectDependencyDepth(root: string, stack: string, secrets: Record<string, string> = {}): Promise<DependencyDepth> {
  const files = readStackConfig(root, stack);
  const json = (key: string): unknown => {
    const raw = files.config[`${files.project}:${key}`];
    try {
      return raw === undefined ? undefined : JSON.parse(raw);
    } catch {
      return undefined;
    }
  };
  const settings = json("stack");
  const overrides = isPlainObject(settings) ? settings.overrides : undefined;
  const system = overrides === undefined ? json("system") : deepMerge(json("system"), overrides);
  const declared = isPlainObject(system) && isPlainObject(system.secrets) ? system.secrets : {};
  const standIns: Record<string, string> = {};
  for (const [name, s] of Object.entries(declared)) if (isPlainObject(s) && s.from === "config") standIns[name] = `depth-stand-in-${name}`;
  const plain: Record<string, string> = {};
  if (!files.config[`${files.project}:accountId`]) plain.accountId = "0123456789abcdef0123456789abcdef";
  if (!files.config[`${files.project}:zoneId`]) plain.zoneId = "fedcba9876543210fedcba9876543210";
  const ev = await evaluateStack({ root, stack, secrets: { ...standIns, ...secrets }, plain });
  if (ev.error) throw ev.error;
  return dependencyDepth(ev.resources);
}

/** Steps of a manual runbook: numbered steps and the bulleted sub-steps below them. */
export interface RunbookSteps {
  steps: number;
  subSteps: number;
  /** Bullets per numbered step, in order. */
  perStep: number[];
}

/**
 * Counts the steps of a markdown runbook: each line `N. ...` is a step, each bullet (`- ...`)
 * indented below a step is a sub-step. Bullets outside numbered steps (links, goals) do not count.
 */
export function countRunbookSteps(text: string): RunbookSteps {
  const perStep: number[] = [];
  let inStep = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^\d+\.\s/.test(line)) {
      perStep.push(0);
      inStep = true;
    } else if (/^#/.test(line)) inStep = false; // a new section ends the steps
    else if (inStep && /^\s+[-*]\s/.test(line)) perStep[perStep.length - 1]!++;
  }
  return { steps: perStep.length, subSteps: perStep.reduce((a, b) => a + b, 0), perStep };
}
