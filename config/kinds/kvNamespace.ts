/** Binding kind: `{ kv: <key> }`: a KV namespace of this system, by logical key. */
import { logicalKey } from "../fields";
import { type BindingKind, str } from "./contract";

/** A planned kv_namespace binding. */
export type KvNamespaceBinding = { name: string; type: "kv_namespace"; namespace: string };

export const kvNamespaceKind: BindingKind<KvNamespaceBinding> = {
  type: "kv_namespace",
  envType: () => "KVNamespace",
  reported: "kv",
  /** A KV namespace of this system, by logical key. */
  config: { target: "kv", refers: { collection: "kvNamespaces", what: "KV namespace" }, shape: { kv: logicalKey.optional() } },
  plan: (name, d) => ({ name, type: "kv_namespace", namespace: d.kv as string }),
  provider: (p, r) => ({ name: p.name, type: p.type, namespaceId: r.kvNamespaceId(p.namespace) }),
  miniflare: (b, m) => void (m.kvNamespaces[b.name] = b.namespaceId),
  wrangler: (b, w) => w.push("kv_namespaces", { binding: b.name, id: b.namespaceId }),
  graph: (b, g) => g.edge(g.kv(str(b.namespaceId)), b.name),
};
