/** Binding kind: `{ artifacts: <name> }`: an Artifacts namespace (a stand-in locally). */
import { namespaceName } from "../bindingFields";
import { type BindingKind, str, unavailable } from "./contract";

/** A planned artifacts binding. */
export type ArtifactsBinding = { name: string; type: "artifacts"; namespace: string };

export const artifactsKind: BindingKind<ArtifactsBinding> = {
  type: "artifacts",
  envType: () => "Artifacts",
  reported: "artifacts",
  /** An Artifacts namespace, by name (wrangler's `[[artifacts]]`). */
  config: { target: "artifacts", shape: { artifacts: namespaceName.optional() } },
  plan: (name, d) => ({ name, type: "artifacts", namespace: d.artifacts as string }),
  provider: (p) => ({ name: p.name, type: p.type, namespace: p.namespace }),
  miniflare: (b, m, ctx) => unavailable(b, m, ctx, `Artifacts namespace ${str(b.namespace)}`, "wrangler has no local simulator for it either"),
  wrangler: (b, w) => w.push("artifacts", { binding: b.name, namespace: b.namespace }),
  graph: (b, g) => g.edge(g.other("artifacts", str(b.namespace), `Artifacts ${str(b.namespace)}`), b.name),
};
