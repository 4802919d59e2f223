import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { accountOf } from "./account";

export interface HostnameArgs {
  /** Zone id of the zone the hostname lives in. */
  zoneId: string;
  /** Fully qualified hostname, e.g. `bot-staging.example.com` (the API stores FQDNs). */
  host: string;
  /**
   * CNAME target. Proxied records send traffic to the route, so the target is never contacted.
   * @example "example.com"
   */
  target: string;
  /** Script the route sends `<host>/*` to. */
  scriptName: pulumi.Input<string>;
}

/** A hostname for a worker: a proxied CNAME and the route `<host>/*` to the script. */
export class Hostname extends pulumi.ComponentResource {
  readonly record: cloudflare.DnsRecord;
  readonly route: cloudflare.WorkersRoute;
  readonly url: string;

  constructor(name: string, args: HostnameArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workers-stack:index:Hostname", name, {}, opts);
    this.record = new cloudflare.DnsRecord(
      name,
      {
        zoneId: args.zoneId,
        name: args.host,
        type: "CNAME",
        content: args.target,
        proxied: true,
        // A proxied record must have ttl 1 ("automatic"); anything else is refused or drifts.
        ttl: 1,
        comment: "managed by workers-stack",
      },
      { parent: this },
    );
    this.route = new cloudflare.WorkersRoute(
      name,
      { zoneId: args.zoneId, pattern: `${args.host}/*`, script: args.scriptName },
      { parent: this, dependsOn: [this.record] },
    );
    this.url = `https://${args.host}`;
    this.registerOutputs({ url: this.url });
  }
}

export interface CustomDomainArgs {
  /** Cloudflare account id. @default the account of the Stack (or component) it is created under */
  accountId?: string;
  /** Zone id of the zone the hostname lives in. */
  zoneId: string;
  /** Fully qualified hostname, e.g. `api-staging.example.com`. */
  host: string;
  /** Script the domain serves. */
  scriptName: pulumi.Input<string>;
}

/**
 * A Workers Custom Domain: the alternative to CNAME + route. Cloudflare creates the DNS record and
 * the certificate itself, and the worker serves the whole hostname.
 */
export class CustomDomain extends pulumi.ComponentResource {
  readonly domain: cloudflare.WorkersCustomDomain;
  readonly url: string;

  constructor(name: string, args: CustomDomainArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workers-stack:index:CustomDomain", name, {}, opts);
    const accountId = accountOf(this, args.accountId, opts, `CustomDomain ${name}`);
    this.domain = new cloudflare.WorkersCustomDomain(
      name,
      { accountId, zoneId: args.zoneId, hostname: args.host, service: args.scriptName },
      { parent: this },
    );
    this.url = `https://${args.host}`;
    this.registerOutputs({ url: this.url });
  }
}

export interface RouteArgs {
  /** Zone id of the zone the route is created in. */
  zoneId: string;
  /**
   * The route pattern, as Cloudflare takes it.
   * @example "shop.example.com/api/*"
   */
  pattern: string;
  /** Script the matching requests run. */
  scriptName: pulumi.Input<string>;
  /** Where the route is reached, for the outputs; none for a wildcard host. @default none */
  url?: string;
}

/**
 * A zone route and nothing else: no DNS record, because the record exists already (managed
 * elsewhere) or the route is a path on a host another worker or an origin serves. The most
 * specific pattern wins, so `shop.example.com/api/*` takes `/api/` from `shop.example.com/*`.
 */
export class Route extends pulumi.ComponentResource {
  readonly route: cloudflare.WorkersRoute;
  readonly url?: string;

  constructor(name: string, args: RouteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workers-stack:index:Route", name, {}, opts);
    this.route = new cloudflare.WorkersRoute(name, { zoneId: args.zoneId, pattern: args.pattern, script: args.scriptName }, { parent: this });
    if (args.url !== undefined) this.url = args.url;
    this.registerOutputs({ pattern: args.pattern, ...(args.url !== undefined ? { url: args.url } : {}) });
  }
}
