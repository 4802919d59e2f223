/** Binding kind: `{ ai: true }`: Workers AI (a stand-in locally). */
import { z } from "zod";
import { type BindingKind, unavailable } from "./contract";

/** A planned ai binding. */
export type AiBinding = { name: string; type: "ai" };

export const aiKind: BindingKind<AiBinding> = {
  type: "ai",
  envType: () => "Ai",
  reported: "ai",
  /** Workers AI: `{ ai: true }` (wrangler's `[ai]`). */
  config: { target: "ai", single: true, shape: { ai: z.literal(true, { error: "must be true: `{ ai: true }` binds Workers AI" }).optional() } },
  plan: (name) => ({ name, type: "ai" }),
  provider: (p) => ({ name: p.name, type: p.type }),
  miniflare: (b, m, ctx) => unavailable(b, m, ctx, "Workers AI", "it runs on Cloudflare's GPUs only"),
  wrangler: (b, w) => void (w.config.ai = { binding: b.name }),
  graph: (b, g) => g.edge(g.other("ai", "workers-ai", "Workers AI"), b.name),
};
