/** Binding kind: `{ dispatchNamespace: <name> }`: a Workers for Platforms dispatch namespace (a stand-in locally). */
import { dispatchNamespace } from "../bindingFields";
import { type BindingKind, str, unavailable } from "./contract";

/** A planned dispatch_namespace binding. */
export type DispatchNamespaceBinding = { name: string; type: "dispatch_namespace"; namespace: string };

export const dispatchNamespaceKind: BindingKind<DispatchNamespaceBinding> = {
  type: "dispatch_namespace",
  envType: () => "DispatchNamespace",
  reported: "dispatch",
  /** A Workers for Platforms dispatch namespace, by name. */
  config: { target: "dispatchNamespace", shape: { dispatchNamespace: dispatchNamespace.optional() } },
  plan: (name, d) => ({ name, type: "dispatch_namespace", namespace: d.dispatchNamespace as string }),
  provider: (p) => ({ name: p.name, type: p.type, namespace: p.namespace }),
  miniflare: (b, m, ctx) => unavailable(b, m, ctx, `dispatch namespace ${str(b.namespace)}`, "its user workers live on Cloudflare"),
  wrangler: (b, w) => w.push("dispatch_namespaces", { binding: b.name, namespace: b.namespace }),
  graph: (b, g) => g.edge(g.other("dispatch", str(b.namespace), `dispatch namespace ${str(b.namespace)}`), b.name),
};
