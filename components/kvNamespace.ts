import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { accountOf } from "./account";
import { statefulOptions } from "./stateful";

export interface KvNamespaceArgs {
  /** Cloudflare account id. @default the account of the Stack (or component) it is created under */
  accountId?: string;
  /** Namespace title, e.g. `tg-rate-limit-staging`. */
  title: string;
  /**
   * Id of an existing namespace to adopt instead of creating one.
   * @default create a new namespace
   */
  importId?: string;
  /** Protect the namespace (and so its data) against deletion. @default false */
  protect?: boolean;
}

/** A Workers KV namespace. */
export class KvNamespace extends pulumi.ComponentResource {
  readonly namespace: cloudflare.WorkersKvNamespace;
  /** The namespace id (what a `kv_namespace` binding is given). */
  readonly id: pulumi.Output<string>;
  readonly title: string;

  constructor(name: string, args: KvNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workers-stack:index:KvNamespace", name, {}, opts);
    const accountId = accountOf(this, args.accountId, opts, `KvNamespace ${name}`);
    this.title = args.title;
    this.namespace = new cloudflare.WorkersKvNamespace(
      name,
      { accountId, title: args.title },
      statefulOptions(this, accountId, args.protect, args.importId),
    );
    this.id = this.namespace.id;
    this.registerOutputs({ id: this.id, title: args.title });
  }
}
