/** Binding kind: `{ rateLimit: { namespaceId, limit, period } }`: a rate limit. */
import { z } from "zod";
import { rateLimit } from "../bindingFields";
import { type BindingKind, str } from "./contract";

/** A planned ratelimit binding. */
export type RatelimitBinding = { name: string; type: "ratelimit"; namespaceId: string; limit: number; period: 10 | 60 };

export const rateLimitKind: BindingKind<RatelimitBinding> = {
  type: "ratelimit",
  envType: () => "RateLimit",
  reported: "ratelimit",
  /** A rate limit: `{ rateLimit: { namespaceId: "1001", limit: 100, period: 60 } }`. */
  config: { target: "rateLimit", shape: { rateLimit: rateLimit.optional() } },
  plan: (name, d) => {
    const r = d.rateLimit as z.infer<typeof rateLimit>;
    return { name, type: "ratelimit", namespaceId: r.namespaceId, limit: r.limit, period: r.period };
  },
  provider: (p) => ({ name: p.name, type: p.type, namespaceId: p.namespaceId, simple: { limit: p.limit, period: p.period } }),
  miniflare: (b, m) => void (m.ratelimits[b.name] = { namespace_id: b.namespaceId, simple: b.simple }),
  wrangler: (b, w) => w.push("ratelimits", { name: b.name, namespace_id: b.namespaceId, simple: b.simple }),
  graph: (b, g) => {
    const s = b.simple as { limit: number; period: number };
    g.edge(g.other("ratelimit", str(b.namespaceId), `rate limit ${str(b.namespaceId)}: ${s.limit} per ${s.period} s`), b.name);
  },
};
