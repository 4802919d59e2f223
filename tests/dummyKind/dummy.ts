/** A dummy binding kind, written as a module of config/kinds/ is: `{ dummy: <text> }` binds a string. */
import { z } from "zod";
import type { ReportedType } from "../../config/reportedTypes";
import { type BindingKind, str } from "../../config/kinds/contract";

/** A planned dummy binding. */
export type DummyBinding = { name: string; type: "dummy"; value: string };

export const dummyKind: BindingKind<DummyBinding> = {
  type: "dummy",
  // (A real kind's /health type is also listed in config/reportedTypes.ts, which the workers read.)
  reported: "dummy" as ReportedType,
  envType: () => "string",
  config: { target: "dummy", shape: { dummy: z.string().optional() } },
  plan: (name, d) => ({ name, type: "dummy", value: d.dummy as string }),
  provider: (p) => ({ name: p.name, type: "dummy", text: p.value }),
  miniflare: (b, m) => void (m.bindings[b.name] = `dummy:${str(b.text)}`),
  wrangler: (b, w) => void (w.vars[b.name] = `dummy:${str(b.text)}`),
  graph: (b, g) => g.edge(g.other("dummy", str(b.text), `dummy ${str(b.text)}`), b.name),
};
