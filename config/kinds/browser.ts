/** Binding kind: `{ browser: true }`: Browser Rendering (a stand-in locally). */
import { z } from "zod";
import { type BindingKind, unavailable } from "./contract";

/** A planned browser binding. */
export type BrowserBinding = { name: string; type: "browser" };

export const browserKind: BindingKind<BrowserBinding> = {
  type: "browser",
  // As `wrangler types` names it (workers-types' BrowserRun: a Fetcher).
  envType: () => "BrowserRun",
  reported: "browser",
  /** Browser Rendering: `{ browser: true }` (wrangler's `[browser]`). */
  config: { target: "browser", single: true, shape: { browser: z.literal(true, { error: "must be true: `{ browser: true }` binds Browser Rendering" }).optional() } },
  plan: (name) => ({ name, type: "browser" }),
  provider: (p) => ({ name: p.name, type: p.type }),
  miniflare: (b, m, ctx) => unavailable(b, m, ctx, "Browser Rendering", "the browsers run on Cloudflare"),
  wrangler: (b, w) => void (w.config.browser = { binding: b.name }),
  graph: (b, g) => g.edge(g.other("browser", "browser-rendering", "Browser Rendering"), b.name),
};
