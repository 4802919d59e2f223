/**
 * Binding kind: `{ service: <worker>, entrypoint? }`: a worker of this system (its script name
 * derived), or the worker itself (a self-reference, e.g. OpenNext's `WORKER_SELF_REFERENCE`).
 */
import { z } from "zod";
import { logicalKey } from "../fields";
import { type BindingKind, notDeclared, str } from "./contract";

/** A planned service binding. */
export type ServiceBinding = { name: string; type: "service"; worker: string; entrypoint?: string };

export const serviceKind: BindingKind<ServiceBinding> = {
  type: "service",
  envType: () => "Fetcher",
  reported: "service",
  config: {
    target: "service",
    companions: ["entrypoint"],
    refers: { collection: "workers", what: "worker" },
    /** A declared worker: another one, or this one (wrangler and Cloudflare accept a self-reference). */
    check: (d, ctx) => (d.service === ctx.self ? undefined : notDeclared("workers", "worker", d.service as string, ctx.system)),
    shape: {
      /** A worker of this system, by logical key (its env-suffixed script name is derived); its own key binds itself. */
      service: logicalKey.optional(),
      /** With `service`: the named entrypoint of the target worker. */
      entrypoint: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
    },
  },
  plan: (name, d) => ({ name, type: "service", worker: d.service as string, ...(d.entrypoint ? { entrypoint: d.entrypoint as string } : {}) }),
  // A self-reference is no deploy-order edge (the script names itself in its own upload).
  deployEdge: (d, ctx) => (d.service === ctx.self ? undefined : (d.service as string | undefined)),
  provider: (p, r) => ({ name: p.name, type: p.type, service: r.scriptName(p.worker), ...(p.entrypoint ? { entrypoint: p.entrypoint } : {}) }),
  miniflare: (b, m) => void (m.serviceBindings[b.name] = b.entrypoint ? { name: b.service, entrypoint: b.entrypoint } : b.service),
  wrangler: (b, w) => w.push("services", { binding: b.name, service: b.service, ...(b.entrypoint ? { entrypoint: b.entrypoint } : {}) }),
  graph: (b, g) => g.edge(g.worker(str(b.service)), `${b.name}${b.entrypoint ? ` (${b.entrypoint})` : ""}`),
};
