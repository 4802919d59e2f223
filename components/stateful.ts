/** The resource options of a stateful resource: protection, and adoption of an existing one by its import id. */
import type * as pulumi from "@pulumi/pulumi";

/**
 * `protect` as the plan says, and `import` of `<accountId>/<id...>` when the resource is adopted
 * (`importId` undefined: created).
 */
export function statefulOptions(parent: pulumi.Resource, accountId: string, protect: boolean | undefined, importId: string | undefined): pulumi.CustomResourceOptions {
  return { parent, protect: protect ?? false, ...(importId ? { import: `${accountId}/${importId}` } : {}) };
}
