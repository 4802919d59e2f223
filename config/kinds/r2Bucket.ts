/** Binding kind: `{ r2: <key> }`: an R2 bucket of this system, by logical key. */
import { logicalKey } from "../fields";
import { type BindingKind, str } from "./contract";

/** A planned r2_bucket binding. */
export type R2BucketBinding = { name: string; type: "r2_bucket"; bucket: string };

export const r2BucketKind: BindingKind<R2BucketBinding> = {
  type: "r2_bucket",
  envType: () => "R2Bucket",
  reported: "r2",
  /** An R2 bucket of this system, by logical key. */
  config: { target: "r2", refers: { collection: "r2Buckets", what: "R2 bucket" }, shape: { r2: logicalKey.optional() } },
  plan: (name, d) => ({ name, type: "r2_bucket", bucket: d.r2 as string }),
  provider: (p, r) => ({ name: p.name, type: p.type, bucketName: r.bucketName(p.bucket) }),
  miniflare: (b, m) => void (m.r2Buckets[b.name] = b.bucketName),
  wrangler: (b, w) => w.push("r2_buckets", { binding: b.name, bucket_name: b.bucketName }),
  graph: (b, g) => g.edge(g.r2(str(b.bucketName)), b.name),
};
