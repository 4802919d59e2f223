/** Binding kind: a plain var (`vars.<NAME>: string`): a plain_text binding, not declared under `bindings`. */
import { type BindingKind } from "./contract";

/** A planned plain_text binding. */
export type PlainTextBinding = { name: string; type: "plain_text"; text: string };

export const plainTextKind: BindingKind<PlainTextBinding> = {
  type: "plain_text",
  envType: () => "string",
  reported: "var",
  provider: (p) => ({ name: p.name, type: p.type, text: p.text }),
  miniflare: (b, m) => void (m.bindings[b.name] = b.text),
  wrangler: (b, w) => void (w.vars[b.name] = b.text),
  graph: () => undefined,
};
