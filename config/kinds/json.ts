/** Binding kind: a JSON var (`vars.<NAME>`: any other JSON value): a json binding, not declared under `bindings`. */
import { type BindingKind, str } from "./contract";

/** A planned json binding. */
export type JsonBinding = { name: string; type: "json"; json: string };

export const jsonKind: BindingKind<JsonBinding> = {
  type: "json",
  envType: () => "unknown",
  reported: "json",
  provider: (p) => ({ name: p.name, type: p.type, json: p.json }),
  miniflare: (b, m) => void (m.bindings[b.name] = JSON.parse(str(b.json))),
  wrangler: (b, w) => void (w.vars[b.name] = JSON.parse(str(b.json))),
  graph: () => undefined,
};
