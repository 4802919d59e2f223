/** Binding kind: `{ durableObject: <Class>, worker? }`: a Durable Object namespace, hosted by this worker or another. */
import { className, logicalKey } from "../fields";
import { type BindingKind, has, known, str, scriptNameOf } from "./contract";

/** `worker` is the hosting worker's key (this worker itself, or another one). */
export type DurableObjectNamespaceBinding = { name: string; type: "durable_object_namespace"; className: string; worker: string };

export const durableObjectKind: BindingKind<DurableObjectNamespaceBinding> = {
  type: "durable_object_namespace",
  envType: () => "DurableObjectNamespace",
  reported: "do",
  config: {
    target: "durableObject",
    companions: ["worker"],
    shape: {
      /** A Durable Object class, hosted by this worker or by `worker`. */
      durableObject: className.optional(),
      /** With `durableObject`: the worker that hosts the class (its env-suffixed script name is derived). @default this worker */
      worker: logicalKey.optional(),
    },
    /** The hosting worker is declared and declares the class (or says which worker does). */
    check: (d, ctx) => {
      const cls = d.durableObject as string;
      const hostKey = (d.worker as string | undefined) ?? ctx.self;
      const { workers, invalid } = ctx.system;
      const host = has(workers, hostKey) ? workers[hostKey] : undefined;
      if (!host) return invalid.has(`workers.${hostKey}`) ? undefined : { message: `worker "${hostKey}" is not declared`, hint: known("workers", workers) };
      if (has(host.durableObjects, cls)) return undefined;
      const hosted = Object.entries(workers).filter(([, w]) => has(w.durableObjects, cls)).map(([k]) => k);
      return {
        message: `no worker hosts Durable Object class ${cls}${d.worker ? ` (worker "${hostKey}" does not)` : " in this worker"}`,
        hint: hosted.length ? `it is hosted by ${hosted.join(", ")}: add worker: ${hosted[0]}` : `declare it under the hosting worker's durableObjects: ${cls}: { sqlite: true }`,
      };
    },
  },
  plan: (name, d, ctx) => ({ name, type: "durable_object_namespace", className: d.durableObject as string, worker: (d.worker as string | undefined) ?? ctx.self }),
  deployEdge: (d) => d.worker as string | undefined,
  // A class of another worker names that worker's env-suffixed script: derived, never typed.
  provider: (p, r) =>
    p.worker === r.self
      ? { name: p.name, type: p.type, className: p.className }
      : { name: p.name, type: p.type, className: p.className, scriptName: r.scriptName(p.worker) },
  miniflare: (b, m, ctx) => void (m.durableObjects[b.name] = { className: b.className, ...scriptNameOf(b), useSQLite: ctx.sqliteClasses.has(`${b.scriptName ? str(b.scriptName) : ctx.self}\0${str(b.className)}`) }),
  wrangler: (b, w) =>
    void (w.config.durable_objects = { bindings: [...(w.config.durable_objects?.bindings ?? []), { name: b.name, class_name: b.className, ...(b.scriptName ? { script_name: b.scriptName } : {}) }] }),
  graph: (b, g) => g.edge(g.durableObject(b.scriptName, str(b.className)), b.name),
};
