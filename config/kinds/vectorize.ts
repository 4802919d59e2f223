/** Binding kind: `{ vectorize: <index> }`: a Vectorize index, by name (a stand-in locally). */
import { vectorizeIndex } from "../bindingFields";
import { type BindingKind, str, unavailable } from "./contract";

/** The index by name: the provider has no Vectorize index resource. */
export type VectorizeBinding = { name: string; type: "vectorize"; indexName: string };

export const vectorizeKind: BindingKind<VectorizeBinding> = {
  type: "vectorize",
  envType: () => "VectorizeIndex",
  reported: "vectorize",
  /** A Vectorize index, by name: the provider has no index resource (create it with `wrangler vectorize create`). */
  config: { target: "vectorize", shape: { vectorize: vectorizeIndex.optional() } },
  plan: (name, d) => ({ name, type: "vectorize", indexName: d.vectorize as string }),
  provider: (p) => ({ name: p.name, type: p.type, indexName: p.indexName }),
  miniflare: (b, m, ctx) => unavailable(b, m, ctx, `Vectorize index ${str(b.indexName)}`, "Vectorize runs on Cloudflare only"),
  wrangler: (b, w) => w.push("vectorize", { binding: b.name, index_name: b.indexName }),
  graph: (b, g) => g.edge(g.other("vectorize", str(b.indexName), `Vectorize ${str(b.indexName)}`), b.name),
};
