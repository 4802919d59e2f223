/**
 * The Cloudflare account, given once: `Stack` sets it for everything it creates, and a component
 * created under a resource that has one (its `parent`, at any depth) uses it. A component created
 * on its own is given `accountId` in its args.
 */
import type * as pulumi from "@pulumi/pulumi";

const accounts = new WeakMap<pulumi.Resource, string>();

/** Makes `accountId` the account of `resource` and of every component created under it. */
export function setAccount(resource: pulumi.Resource, accountId: string): void {
  accounts.set(resource, accountId);
}

/**
 * The account of a component being constructed: `given` (its args' `accountId`), else its parent's;
 * remembered as the component's own, for the components created under it. `what` names the
 * component in the error when there is neither.
 */
export function accountOf(component: pulumi.Resource, given: string | undefined, opts: pulumi.ComponentResourceOptions | undefined, what: string): string {
  const accountId = given ?? (opts?.parent ? accounts.get(opts.parent) : undefined);
  if (accountId === undefined)
    throw new Error(`${what}: no Cloudflare account: give accountId in its args, or create it with parent: a Stack (or a component under one)`);
  accounts.set(component, accountId);
  return accountId;
}
