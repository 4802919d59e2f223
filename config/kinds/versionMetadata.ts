/** Binding kind: `{ versionMetadata: true }`: the script version's id, tag and timestamp. */
import { z } from "zod";
import { type BindingKind } from "./contract";

/** A planned version_metadata binding. */
export type VersionMetadataBinding = { name: string; type: "version_metadata" };

export const versionMetadataKind: BindingKind<VersionMetadataBinding> = {
  type: "version_metadata",
  envType: () => "WorkerVersionMetadata",
  reported: "version",
  /** The script version's id, tag and timestamp: `{ versionMetadata: true }` (wrangler's `[version_metadata]`). */
  config: { target: "versionMetadata", single: true, shape: { versionMetadata: z.literal(true, { error: "must be true: `{ versionMetadata: true }` binds the version metadata" }).optional() } },
  plan: (name) => ({ name, type: "version_metadata" }),
  provider: (p) => ({ name: p.name, type: p.type }),
  miniflare: (b, m) => void (m.options.versionMetadata = b.name),
  wrangler: (b, w) => void (w.config.version_metadata = { binding: b.name }),
  graph: () => undefined,
};
