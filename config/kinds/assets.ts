/** Binding kind: the worker's own static assets (`assets.binding`): planned from `assets`, not declared under `bindings`. */
import { type BindingKind } from "./contract";

/** The worker's own static assets (`assets.binding`): declared under `assets`, not `bindings`. */
export type AssetsBinding = { name: string; type: "assets" };

export const assetsKind: BindingKind<AssetsBinding> = {
  type: "assets",
  envType: () => "Fetcher",
  reported: "assets",
  // Declared as `assets.binding`, planned from it (config/plan.ts): no key under `bindings`.
  provider: (p) => ({ name: p.name, type: p.type }),
  // Miniflare gives it with the worker's `assets` option (local/workerOptions.ts reads the name).
  miniflare: () => undefined,
  wrangler: (b, w) => void (w.config.assets = { ...w.config.assets, binding: b.name }),
  // The worker's assets node is drawn from the script's `assets` input (scripts/graph.ts).
  graph: () => undefined,
};
