/**
 * Routing: the zones of a system, the hostnames its workers are served on (a label under the main
 * zone or a fully qualified hostname under any zone), zone routes with paths and wildcards, and
 * which zone id each of them is created with on a stack.
 *
 * Route patterns follow Cloudflare's validity rules
 * (https://developers.cloudflare.com/workers/configuration/routing/routes/#validity): an optional
 * `http://` or `https://`, a host that includes the zone and may begin with `*` (the host and its
 * subhosts) or `*.` (subhosts only), an optional path that may end with `*` (every suffix), no
 * other wildcard (no infix wildcard such as `example.com/*.jpg`) and no query string. Miniflare's
 * router (`routes` per worker) matches them the way Cloudflare does, most specific first.
 */
import type { ConfigIssue } from "./errors";
import type { routeEntry } from "./routingFields";
import { hostFor } from "./names";
import { checkHostname } from "./limits";
import type { StackConfig, SystemConfig } from "./schema";
import type { RuleContext } from "./rules";
// Used at call time only (validate.ts loads the rules, and through them this file).
import { HEX32, isPlaceholder, truncate } from "./validate";

export type RouteEntry = import("zod").infer<typeof routeEntry>;

/** The zones of a system: the main `zone` first, then `zones`, each once. */
export function systemZones(system: Pick<SystemConfig, "zone" | "zones">): string[] {
  return [...new Set([...(system.zone ? [system.zone] : []), ...(system.zones ?? [])])];
}

/** The longest zone `host` is (or is under), if any. */
export function zoneOf(host: string, zones: readonly string[]): string | undefined {
  return zones.filter((z) => host === z || host.endsWith(`.${z}`)).sort((a, b) => b.length - a.length)[0];
}

/** True for an entry written as a fully qualified hostname (it has a dot), false for a label. */
export function isQualified(entry: string): boolean {
  return entry.includes(".");
}

export type Resolved<T> = ({ ok: true } & T) | { ok: false; message: string; hint: string };

/** The hostname and zone of a `hostnames` / `customDomains` entry on a stack. */
export function resolveHost(entry: string, hostnameSuffix: string, system: Pick<SystemConfig, "zone" | "zones">): Resolved<{ host: string; zone: string }> {
  const zones = systemZones(system);
  if (isQualified(entry)) {
    const zone = zoneOf(entry, zones);
    if (zone) return { ok: true, host: entry, zone };
    return {
      ok: false,
      message: `hostname ${entry} is under no zone of the system (${describeZones(system)})`,
      hint: `add its zone to system.zones (e.g. zones: [${guessZone(entry)}]), or fix the hostname`,
    };
  }
  if (!system.zone)
    return {
      ok: false,
      message: `"${entry}" is a label under the main zone, but the system has no zone`,
      hint: `set system.zone (e.g. zone: example.com), or give a fully qualified hostname${zones.length ? ` under ${zones.join(", ")}` : ""}`,
    };
  return { ok: true, host: hostFor(entry, hostnameSuffix, system.zone), zone: system.zone };
}

/** A route pattern taken apart. */
export interface ParsedRoute {
  /** The pattern as written. */
  pattern: string;
  scheme?: "http" | "https";
  /** The host as written, wildcard included (`*.example.com`). */
  host: string;
  /** `""`, `"*"` (the host and every subhost, any prefix) or `"*."` (subhosts only). */
  hostWildcard: "" | "*" | "*.";
  /** The host without its wildcard: what must include the zone. */
  baseHost: string;
  /** The path, `/` when the pattern has none, without its trailing `*`. */
  path: string;
  /** The path ends with `*`: every suffix matches. */
  pathWildcard: boolean;
}

const HOST_CHARS = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const PATH_CHARS = /^\/[A-Za-z0-9\-._~!$&'()+,;=:@%/]*$/;

/** A route pattern's parts, or every rule of Cloudflare's it breaks. */
export function parseRoutePattern(pattern: string): { ok: true; route: ParsedRoute } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  let rest = pattern;
  let scheme: ParsedRoute["scheme"];
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(rest);
  if (m) {
    const s = m[1]!.toLowerCase();
    if (s === "http" || s === "https") scheme = s;
    else problems.push(`the scheme ${m[1]}:// is not allowed (only http:// or https://, or none to match both)`);
    rest = rest.slice(m[0].length);
  }
  if (/\s/.test(rest)) problems.push("it contains white space");
  if (rest.includes("?")) problems.push("it contains a query string (route patterns may not; end the path with * to match any query)");
  if (rest.includes("#")) problems.push("it contains a fragment (#)");
  const slash = rest.indexOf("/");
  const host = slash === -1 ? rest : rest.slice(0, slash);
  const rawPath = (slash === -1 ? "/" : rest.slice(slash)).replace(/[?#].*$/, "");
  const hostWildcard: ParsedRoute["hostWildcard"] = host.startsWith("*.") ? "*." : host.startsWith("*") ? "*" : "";
  const baseHost = host.slice(hostWildcard.length);
  if (host === "" || host === "*" || host === "*.") problems.push("it has no hostname (a route pattern must include the zone, e.g. *.example.com/*)");
  else if (baseHost.includes("*")) problems.push(`the host ${host} has a wildcard that is not at its start (only *example.com or *.example.com are allowed)`);
  else if (baseHost.includes(":")) problems.push(`the host ${host} has a port (a route pattern matches a hostname and a path only)`);
  else if (baseHost !== baseHost.toLowerCase()) problems.push(`the host ${host} has capital letters (hostnames are case-insensitive; write it in lowercase)`);
  else if (!HOST_CHARS.test(baseHost)) problems.push(`the host ${host} is not a hostname (labels of letters, digits and '-', separated by dots)`);
  const pathWildcard = rawPath.endsWith("*");
  const path = pathWildcard ? rawPath.slice(0, -1) : rawPath;
  if (path.includes("*")) problems.push(`the path ${rawPath} has a wildcard that is not at its end (no infix wildcards such as /*.jpg; only a trailing *)`);
  else if (!/\s/.test(path) && !PATH_CHARS.test(path)) problems.push(`the path ${rawPath} has characters a URL path cannot hold`);
  if (problems.length) return { ok: false, problems };
  return { ok: true, route: { pattern, ...(scheme ? { scheme } : {}), host, hostWildcard, baseHost, path, pathWildcard } };
}

/** What two patterns are compared by: the same key is the same Cloudflare route. */
export function routeKey(r: ParsedRoute): string {
  return `${r.scheme ? `${r.scheme}://` : ""}${r.host}${r.path}${r.pathWildcard ? "*" : ""}`;
}

/**
 * The URL a route is reached at, for outputs and checks: `https://<host><path prefix>`, or
 * undefined for a wildcard host (no one hostname to call).
 */
export function routeUrl(pattern: string): string | undefined {
  const parsed = parseRoutePattern(pattern);
  if (!parsed.ok || parsed.route.hostWildcard) return undefined;
  const r = parsed.route;
  return `${r.scheme ?? "https"}://${r.host}${r.path === "/" ? "" : r.path}`;
}

/** The host and path prefix a route is reached at (`shop.example.com/api/`), or undefined for a wildcard host. */
export function routeTarget(pattern: string): { host: string; path: string } | undefined {
  const parsed = parseRoutePattern(pattern);
  if (!parsed.ok || parsed.route.hostWildcard) return undefined;
  return { host: parsed.route.host, path: parsed.route.path };
}

/** The zone a route is created in: its declared `zone`, else the longest system zone its host ends with. */
export function routeZone(entry: RouteEntry, route: ParsedRoute, system: Pick<SystemConfig, "zone" | "zones">): Resolved<{ zone: string }> {
  const zones = systemZones(system);
  const under = (z: string) => route.baseHost === z || route.baseHost.endsWith(`.${z}`);
  if (typeof entry !== "string" && entry.zone !== undefined) {
    if (!zones.includes(entry.zone))
      return { ok: false, message: `zone ${entry.zone} is not a zone of the system (${describeZones(system)})`, hint: `add it to system.zones, or name one of the system's zones` };
    if (!under(entry.zone))
      return { ok: false, message: `the host ${route.host} is not under zone ${entry.zone} (a route pattern must include its zone)`, hint: `give a host ending with ${entry.zone}, or the zone the host is in` };
    return { ok: true, zone: entry.zone };
  }
  const zone = zoneOf(route.baseHost, zones);
  if (zone) return { ok: true, zone };
  return {
    ok: false,
    message: `the host ${route.host} is under no zone of the system (${describeZones(system)})`,
    hint: `add its zone to system.zones (e.g. zones: [${guessZone(route.baseHost)}]), or fix the pattern`,
  };
}

/** The pattern of a route entry. */
export function patternOf(entry: RouteEntry): string {
  return typeof entry === "string" ? entry : entry.pattern;
}

function describeZones(system: Pick<SystemConfig, "zone" | "zones">): string {
  const zones = systemZones(system);
  return zones.length ? `zones: ${zones.join(", ")}` : "it declares no zone";
}

function guessZone(host: string): string {
  return host.split(".").slice(-2).join(".");
}

/** The zones a stack serves something on (the zones of its valid hostnames, custom domains and routes). */
export function usedZones(system: Pick<SystemConfig, "zone" | "zones" | "workers">): Set<string> {
  const used = new Set<string>();
  for (const w of Object.values(system.workers ?? {})) {
    for (const entry of [...(w.hostnames ?? []), ...(w.customDomains ?? [])]) {
      const r = resolveHost(entry, "", system);
      if (r.ok) used.add(r.zone);
    }
    for (const entry of w.routes ?? []) {
      const parsed = parseRoutePattern(patternOf(entry));
      if (!parsed.ok) continue;
      const z = routeZone(entry, parsed.route, system);
      if (z.ok) used.add(z.zone);
    }
  }
  return used;
}

/**
 * The id of every zone the stack serves something on, by zone. The main zone's comes from the
 * `zoneId` config key (or `zoneIds`), every other one from the stack setting `zoneIds`. A zone in
 * use without an id, a malformed or placeholder id, two different ids for the main zone, and an
 * id for a zone the system does not declare are reported.
 */
export function resolveZoneIds(
  source: { zoneId?: string },
  settings: Pick<StackConfig, "zoneIds">,
  system: Pick<SystemConfig, "zone" | "zones" | "workers">,
  stack: string,
  issues: ConfigIssue[],
): Record<string, string> {
  const zones = systemZones(system);
  const given = settings.zoneIds ?? {};
  const stackFile = `Pulumi.${stack}.yaml`;
  for (const zone of Object.keys(given))
    if (!zones.includes(zone))
      issues.push({ path: `stack.zoneIds.${zone}`, message: `${zone} is not a zone of the system (${describeZones(system)})`, hint: "remove it, or add the zone to system.zones" });
  const ids: Record<string, string> = {};
  const check = (value: string, path: string, fix: string): boolean => {
    if (isPlaceholder(value)) issues.push({ path, message: `placeholder id "${short(value)}"`, hint: fix });
    else if (!HEX32.test(value)) issues.push({ path, message: `"${short(value)}" is not a 32-character hex zone id`, hint: fix });
    else return true;
    return false;
  };
  const main = system.zone;
  const fromKey = source.zoneId || undefined;
  const fromMap = main !== undefined && Object.hasOwn(given, main) ? given[main] : undefined;
  if (main !== undefined && fromKey !== undefined && fromMap !== undefined && fromKey !== fromMap)
    issues.push({
      path: `stack.zoneIds.${main}`,
      message: `the main zone ${main} has two ids: zoneId is ${short(fromKey)}, zoneIds gives ${short(fromMap)}`,
      hint: `keep one of them (the zoneId config key is enough for the main zone)`,
    });
  const used = usedZones(system);
  for (const zone of zones) {
    const isMain = zone === main;
    const value = isMain ? (fromKey ?? fromMap) : Object.hasOwn(given, zone) ? given[zone] : undefined;
    const path = isMain && fromKey !== undefined ? "zoneId" : `stack.zoneIds.${zone}`;
    const fix = isMain
      ? `pulumi config set zoneId <id> --stack ${stack}`
      : `give it in ${stackFile} under the stack settings: zoneIds: { "${zone}": <32-character hex zone id> } (the dashboard shows it on the zone's Overview page)`;
    if (value === undefined || value === "") {
      if (used.has(zone))
        issues.push(isMain ? { path: "zoneId", message: `not set (a 32-character hex zone id of ${zone})`, hint: fix } : { path, message: `not set: stack ${stack} serves on zone ${zone}, which needs its 32-character hex zone id`, hint: fix });
      continue;
    }
    if (check(value, path, fix)) ids[zone] = value;
  }
  return ids;
}

const short = (s: string) => truncate(s);

/**
 * The routing rule: zones declared once; every hostname and custom domain resolves under a zone
 * and is served by one worker; every route pattern is valid, in a zone of the system and routed
 * to one worker (a hostname's `<host>/*` counts as a pattern).
 */
export function checkRouting(ctx: RuleContext): void {
  const { system, hostnameSuffix, issues } = ctx;
  const declared = [...(system.zone ? [system.zone] : []), ...(system.zones ?? [])];
  const seenZone = new Set<string>();
  declared.forEach((zone, i) => {
    if (seenZone.has(zone))
      issues.push({ path: `system.zones.${system.zone ? i - 1 : i}`, message: `zone ${zone} is declared twice`, hint: "list each zone once (the main zone is system.zone; zones holds the others)" });
    seenZone.add(zone);
  });

  const hostOwners = new Map<string, { worker: string; what: string }>();
  const patternOwners = new Map<string, string>();
  const claimPattern = (key: string, worker: string, path: string, shown: string) => {
    const owner = patternOwners.get(key);
    if (owner === undefined) patternOwners.set(key, worker);
    else if (owner === worker) issues.push({ path, message: `route ${shown} is declared twice on this worker`, hint: "remove one (a hostname already routes <host>/* to its worker)" });
    else issues.push({ path, message: `route ${shown} is already routed to worker "${owner}"`, hint: "each route pattern sends its requests to exactly one worker" });
  };

  for (const [key, worker] of Object.entries(system.workers)) {
    const at = `system.workers.${key}`;
    for (const what of ["hostnames", "customDomains"] as const) {
      for (const entry of new Set(worker[what] ?? [])) {
        const r = resolveHost(entry, hostnameSuffix, system);
        if (!r.ok) {
          issues.push({ path: `${at}.${what}`, message: r.message, hint: r.hint });
          continue;
        }
        checkHostname(r.host, `${at}.${what}`, issues);
        const owner = hostOwners.get(r.host);
        if (owner && owner.worker !== key) issues.push({ path: `${at}.${what}`, message: `hostname ${r.host} is already used by worker "${owner.worker}"`, hint: "each hostname routes to exactly one worker" });
        else if (owner && owner.what !== what)
          issues.push({ path: `${at}.${what}`, message: `hostname ${r.host} is both a hostname and a custom domain of this worker`, hint: "keep it in one list: hostnames (CNAME + route) or customDomains (Cloudflare makes the record)" });
        else if (!owner) {
          hostOwners.set(r.host, { worker: key, what });
          if (what === "hostnames") claimPattern(`${r.host}/*`, key, `${at}.hostnames`, `${r.host}/*`);
        }
      }
    }
    (worker.routes ?? []).forEach((entry, i) => {
      const path = `${at}.routes.${i}`;
      const pattern = patternOf(entry);
      const parsed = parseRoutePattern(pattern);
      if (!parsed.ok) {
        issues.push({
          path,
          message: `route pattern "${short(pattern)}" is refused by Cloudflare: ${parsed.problems.join("; ")}`,
          hint: "a pattern is [http:// | https://]<host>[/<path>]: * only at the start of the host (*.example.com) and at the end of the path (/api/*), e.g. shop.example.com/api/*",
        });
        return;
      }
      const z = routeZone(entry, parsed.route, system);
      if (!z.ok) issues.push({ path, message: z.message, hint: z.hint });
      claimPattern(routeKey(parsed.route), key, path, pattern);
    });
  }
}
