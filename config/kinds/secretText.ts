/** Binding kind: a secret the worker lists (`secrets`): a secret_text binding whose value comes from the stack's secrets. */
import { type BindingKind } from "./contract";

/** A planned secret_text binding. */
export type SecretTextBinding = { name: string; type: "secret_text"; secret: string };

export const secretTextKind: BindingKind<SecretTextBinding> = {
  type: "secret_text",
  envType: () => "string",
  reported: "secret",
  provider: (p, r) => ({ name: p.name, type: p.type, text: r.secret(p.secret) }),
  miniflare: (b, m) => void (m.bindings[b.name] = b.text),
  wrangler: (b, w) => void w.secrets.push(`${b.name}=${b.text}`),
  graph: (b, g) => g.secret(b.name),
};
