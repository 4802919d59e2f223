/** Binding kind: `{ service: <worker>, entrypoint? }`: another worker of this system (its script name derived). */
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
    /** Another declared worker, never this one. */
    check: (d, ctx) =>
      d.service === ctx.self ? { message: "a worker cannot bind itself as a service" } : notDeclared("workers", "worker", d.service as string, ctx.system),
    shape: {
      /** Another worker of this system, by logical key (its env-suffixed script name is derived). */
      service: logicalKey.optional(),
      /** With `service`: the named entrypoint of the target worker. */
      entrypoint: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
    },
  },
  plan: (name, d) => ({ name, type: "service", worker: d.service as string, ...(d.entrypoint ? { entrypoint: d.entrypoint as string } : {}) }),
  deployEdge: (d) => d.service as string | undefined,
  provider: (p, r) => ({ name: p.name, type: p.type, service: r.scriptName(p.worker), ...(p.entrypoint ? { entrypoint: p.entrypoint } : {}) }),
  miniflare: (b, m) => void (m.serviceBindings[b.name] = b.entrypoint ? { name: b.service, entrypoint: b.entrypoint } : b.service),
  wrangler: (b, w) => w.push("services", { binding: b.name, service: b.service, ...(b.entrypoint ? { entrypoint: b.entrypoint } : {}) }),
  graph: (b, g) => g.edge(g.worker(str(b.service)), `${b.name}${b.entrypoint ? ` (${b.entrypoint})` : ""}`),
};
