/** Binding kind: `{ analyticsEngine: <dataset> }`: an Analytics Engine dataset, by name. */
import { dataset } from "../bindingFields";
import { type BindingKind, str } from "./contract";

/** A planned analytics_engine binding. */
export type AnalyticsEngineBinding = { name: string; type: "analytics_engine"; dataset: string };

export const analyticsEngineKind: BindingKind<AnalyticsEngineBinding> = {
  type: "analytics_engine",
  envType: () => "AnalyticsEngineDataset",
  reported: "analytics",
  /** An Analytics Engine dataset, by name (created on first write). */
  config: { target: "analyticsEngine", shape: { analyticsEngine: dataset.optional() } },
  plan: (name, d) => ({ name, type: "analytics_engine", dataset: d.analyticsEngine as string }),
  provider: (p) => ({ name: p.name, type: p.type, dataset: p.dataset }),
  miniflare: (b, m) => void (m.analyticsEngineDatasets[b.name] = { dataset: b.dataset }),
  wrangler: (b, w) => w.push("analytics_engine_datasets", { binding: b.name, dataset: b.dataset }),
  graph: (b, g) => g.edge(g.other("analytics", str(b.dataset), `Analytics Engine ${str(b.dataset)}`), b.name),
};
