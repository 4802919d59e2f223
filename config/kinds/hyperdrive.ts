/** Binding kind: `{ hyperdrive: <key> }`: a Hyperdrive of this system (a local database when one is given). */
import { logicalKey } from "../fields";
import { type BindingKind, str } from "./contract";

/** `hyperdrive` is the key of a system hyperdrive (created here, or adopted by id on the stack). */
export type HyperdriveBinding = { name: string; type: "hyperdrive"; hyperdrive: string };

export const hyperdriveKind: BindingKind<HyperdriveBinding> = {
  type: "hyperdrive",
  envType: () => "Hyperdrive",
  reported: "hyperdrive",
  /** A Hyperdrive of this system, by logical key (`system.hyperdrives`). */
  config: { target: "hyperdrive", refers: { collection: "hyperdrives", what: "hyperdrive" }, shape: { hyperdrive: logicalKey.optional() } },
  plan: (name, d) => ({ name, type: "hyperdrive", hyperdrive: d.hyperdrive as string }),
  provider: (p, r) => ({ name: p.name, type: p.type, id: r.hyperdriveId(p.hyperdrive) }),
  // As wrangler dev: a local database from CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_<BINDING>.
  miniflare: (b, m, ctx) => {
    const local = process.env[`${HYPERDRIVE_LOCAL_ENV}${b.name}`];
    if (local) m.hyperdrives[b.name] = local;
    else
      ctx.notice?.(
        `hyperdrive ${b.name} of ${ctx.self} has no local database: set ${HYPERDRIVE_LOCAL_ENV}${b.name}=postgres://user:password@127.0.0.1:5432/db before starting (as for wrangler dev); until then the worker has no ${b.name}`,
      );
  },
  wrangler: (b, w) => {
    const local = process.env[`${HYPERDRIVE_LOCAL_ENV}${b.name}`];
    w.push("hyperdrive", { binding: b.name, id: b.id, ...(local ? { localConnectionString: local } : {}) });
  },
  graph: (b, g) => g.edge(g.other("hyperdrive", str(b.id), `Hyperdrive ${str(b.id)}`), b.name),
};

/** wrangler's variable for a Hyperdrive binding's local database (`wrangler dev` reads the same). */
export const HYPERDRIVE_LOCAL_ENV = "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_";
