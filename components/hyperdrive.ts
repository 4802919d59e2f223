import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { accountOf } from "./account";
import { parseConnectionString } from "../config/hyperdrives";

export interface HyperdriveArgs {
  /** Cloudflare account id. @default the account of the Stack (or component) it is created under */
  accountId?: string;
  /** Configuration name, e.g. `shop-main-db-staging`. */
  name: string;
  /** The origin's connection string (`postgres://user:password@host:5432/db`), a Pulumi secret. */
  connectionString: pulumi.Input<string>;
}

/**
 * A Hyperdrive configuration whose origin comes from a secret connection string: host, port,
 * database, user and password are parsed from it inside a secret output, so none of them is ever
 * in plaintext state or in the preview.
 */
export class Hyperdrive extends pulumi.ComponentResource {
  readonly config: cloudflare.HyperdriveConfig;
  /** The configuration's id (what a `hyperdrive` binding sends). */
  readonly id: pulumi.Output<string>;

  constructor(name: string, args: HyperdriveArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workers-stack:index:Hyperdrive", name, {}, opts);
    const accountId = accountOf(this, args.accountId, opts, `Hyperdrive ${name}`);
    const origin = pulumi.secret(
      pulumi.output(args.connectionString).apply((value) => {
        const parsed = parseConnectionString(value);
        // Validation parsed the same value before anything was registered; this is a guard.
        if ("problem" in parsed) throw new Error(`hyperdrive ${args.name}: the connection string ${parsed.problem}`);
        return parsed;
      }),
    );
    this.config = new cloudflare.HyperdriveConfig(name, { accountId, name: args.name, origin }, { parent: this });
    this.id = this.config.id;
    this.registerOutputs({ name: args.name });
  }
}
