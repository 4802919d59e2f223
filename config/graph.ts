/** Small graph helpers for deploy order. Nodes are logical keys; edges point at what must exist first. */
import { declaredKindOf } from "./bindingKinds";
import type { SystemConfig } from "./schema";
import { tailConsumerWorkers } from "./scriptSettings";

/** Which worker hosts each workflow key (the first that declares it). */
export function workflowHosts(system: Pick<SystemConfig, "workers">): Map<string, string> {
  const hosts = new Map<string, string>();
  for (const [key, worker] of Object.entries(system.workers))
    for (const wf of Object.keys(worker.workflows ?? {})) if (!hosts.has(wf)) hosts.set(wf, key);
  return hosts;
}

/**
 * Deploy-order edges, worker → the workers that must exist before it: the targets of its service
 * bindings, the hosts of the Durable Object classes and Workflows it binds, its tail consumers
 * (other than itself).
 */
export function deployEdges(system: Pick<SystemConfig, "workers">): Map<string, string[]> {
  const wfHosts = workflowHosts(system);
  const edges = new Map<string, string[]>();
  for (const [key, worker] of Object.entries(system.workers)) {
    const targets = Object.values(worker.bindings ?? {})
      .map((b) => declaredKindOf(b)?.deployEdge?.(b, { self: key, workflowHost: (wf) => wfHosts.get(wf) }))
      .filter((s): s is string => s !== undefined && s !== key && Object.hasOwn(system.workers, s));
    // Its tail consumers exist first too (Cloudflare refuses a tail consumer that is not deployed).
    targets.push(...tailConsumerWorkers(worker).filter((s) => s !== key && Object.hasOwn(system.workers, s)));
    edges.set(key, [...new Set(targets)].sort());
  }
  return edges;
}

/** Returns one cycle as a closed path (`a → b → a`), or undefined when the graph has none. */
export function findCycle(edges: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, "open");
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      const s = state.get(next);
      if (s === "open") return [...stack.slice(stack.indexOf(next)), next];
      if (s === undefined) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of [...edges.keys()].sort()) {
    if (state.get(node) === undefined) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return undefined;
}

/** Nodes ordered so that every node comes after the nodes it points at; ties in key order. */
export function topologicalOrder(edges: Map<string, string[]>): string[] {
  const done = new Set<string>();
  const out: string[] = [];
  const visit = (node: string) => {
    if (done.has(node)) return;
    done.add(node);
    for (const next of edges.get(node) ?? []) visit(next);
    out.push(node);
  };
  for (const node of [...edges.keys()].sort()) visit(node);
  return out;
}
