/** Binding kind: `{ aiSearchNamespace: <name> }`: an AI Search namespace (a stand-in locally). */
import { namespaceName } from "../bindingFields";
import { type BindingKind, str, unavailable } from "./contract";

/** A planned ai_search_namespace binding. */
export type AiSearchNamespaceBinding = { name: string; type: "ai_search_namespace"; namespace: string };

export const aiSearchNamespaceKind: BindingKind<AiSearchNamespaceBinding> = {
  type: "ai_search_namespace",
  envType: () => "AiSearchNamespace",
  reported: "aiSearch",
  /** An AI Search namespace, by name (wrangler's `[[ai_search_namespaces]]`). */
  config: { target: "aiSearchNamespace", shape: { aiSearchNamespace: namespaceName.optional() } },
  plan: (name, d) => ({ name, type: "ai_search_namespace", namespace: d.aiSearchNamespace as string }),
  provider: (p) => ({ name: p.name, type: p.type, namespace: p.namespace }),
  miniflare: (b, m, ctx) => unavailable(b, m, ctx, `AI Search namespace ${str(b.namespace)}`, "AI Search runs on Cloudflare only"),
  wrangler: (b, w) => w.push("ai_search_namespaces", { binding: b.name, namespace: b.namespace }),
  graph: (b, g) => g.edge(g.other("aisearch", str(b.namespace), `AI Search ${str(b.namespace)}`), b.name),
};
