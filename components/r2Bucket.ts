import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { accountOf } from "./account";
import { statefulOptions } from "./stateful";

export interface R2BucketArgs {
  /** Cloudflare account id. @default the account of the Stack (or component) it is created under */
  accountId?: string;
  /** Bucket name, e.g. `tminus-artifacts-staging`. */
  name: string;
  /** Location hint (wnam, enam, weur, eeur, apac, oc). @default automatic */
  location?: string;
  /** Data jurisdiction (eu, fedramp). @default none */
  jurisdiction?: string;
  /** Adopt the existing bucket of this name instead of creating one. @default false */
  adopt?: boolean;
  /** Protect the bucket (and its objects) against deletion. @default false */
  protect?: boolean;
}

/** An R2 bucket. */
export class R2Bucket extends pulumi.ComponentResource {
  readonly bucket: cloudflare.R2Bucket;
  readonly bucketName: string;

  constructor(name: string, args: R2BucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workers-stack:index:R2Bucket", name, {}, opts);
    const accountId = accountOf(this, args.accountId, opts, `R2Bucket ${name}`);
    this.bucketName = args.name;
    this.bucket = new cloudflare.R2Bucket(
      name,
      {
        accountId,
        name: args.name,
        ...(args.location ? { location: args.location } : {}),
        ...(args.jurisdiction ? { jurisdiction: args.jurisdiction } : {}),
      },
      // R2 import ids are <account_id>/<name>/<jurisdiction> ("default" when there is none).
      statefulOptions(this, accountId, args.protect, args.adopt ? `${args.name}/${args.jurisdiction ?? "default"}` : undefined),
    );
    this.registerOutputs({ name: args.name });
  }
}
