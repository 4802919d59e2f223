/** Binding kind: `{ d1: <key> }`: a D1 database of this system, by logical key. */
import { logicalKey } from "../fields";
import { type BindingKind, str } from "./contract";

/** A planned d1 binding. */
export type D1Binding = { name: string; type: "d1"; database: string };

export const d1Kind: BindingKind<D1Binding> = {
  type: "d1",
  envType: () => "D1Database",
  reported: "d1",
  /** A D1 database of this system, by logical key. */
  config: { target: "d1", refers: { collection: "databases", what: "D1 database" }, shape: { d1: logicalKey.optional() } },
  plan: (name, d) => ({ name, type: "d1", database: d.d1 as string }),
  provider: (p, r) => ({ name: p.name, type: p.type, id: r.databaseId(p.database) }),
  miniflare: (b, m) => void (m.d1Databases[b.name] = b.id),
  wrangler: (b, w) => w.push("d1_databases", { binding: b.name, database_name: `db-${str(b.id).slice(0, 8)}`, database_id: b.id }),
  graph: (b, g) => g.edge(g.d1(str(b.id)), b.name),
};
