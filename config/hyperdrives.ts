/**
 * Hyperdrive configurations: their physical names, the origin a connection string gives (parsed
 * without ever printing it), and the validation rules of `system.hyperdrives`,
 * `imports.hyperdrives` and the bindings that can be one per worker only.
 */
import { declaredKindOf } from "./bindingKinds";
import { checkId, HEX32, own, type LenientSystem } from "./validate";
import type { RuleContext } from "./rules";
import type { StackConfig, SystemConfig } from "./schema";

/** What `cloudflare.HyperdriveConfig` takes as `origin`, from a connection string. */
export interface HyperdriveOrigin {
  scheme: "postgres" | "postgresql" | "mysql";
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

/**
 * The origin of a connection string (`postgres://user:password@host:5432/db`), or why it is not
 * one. The reason never contains the string itself: it holds a password.
 */
export function parseConnectionString(value: string): HyperdriveOrigin | { problem: string } {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return { problem: "is not a URL such as postgres://user:password@db.example.com:5432/app" };
  }
  const scheme = url.protocol.replace(/:$/, "");
  if (scheme !== "postgres" && scheme !== "postgresql" && scheme !== "mysql")
    return { problem: `has scheme "${scheme}"; Hyperdrive connects to postgres://, postgresql:// or mysql:// origins` };
  const missing = [!url.username && "a user", !url.password && "a password", !url.hostname && "a host", url.pathname.replace(/^\//, "") === "" && "a database name"].filter(Boolean);
  if (missing.length) return { problem: `lacks ${missing.join(", ")} (postgres://user:password@host:5432/database)` };
  const host = url.hostname.replace(/^\[|\]$/g, "");
  // https://developers.cloudflare.com/api/resources/hyperdrive/subresources/configs/methods/create/ —
  // origin.host: "Private, loopback, and link-local IP addresses are not allowed."
  if (isPrivateHost(host))
    return { problem: `points at ${host}, a private or loopback address: Cloudflare connects only to a publicly reachable host (for a local database in npm start, see README "Local runner")` };
  // The user, password and database are percent-decoded (as wrangler's `hyperdrive create
  // --connection-string` decodes them); a '%' that starts no escape cannot be decoded.
  let database: string, user: string, password: string;
  try {
    database = decodeURIComponent(url.pathname.replace(/^\//, ""));
    user = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    return { problem: "has a '%' that starts no percent-escape in its user, password or database: write a literal '%' as %25 (e.g. a password p%ss as p%25ss)" };
  }
  return { scheme, host, port: url.port ? Number(url.port) : scheme === "mysql" ? 3306 : 5432, database, user, password };
}

/**
 * True for `localhost` and for private, loopback, link-local and unspecified IP literals: only an
 * address is judged, never a host name (`10.db.example.com`, `localhost-proxy.example.net` are
 * public names).
 */
function isPrivateHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  }
  if (!h.includes(":")) return false; // a host name
  // IPv6 literal (URL gives it compressed and lowercase): loopback, unspecified, unique local fc00::/7, link-local fe80::/10.
  return h === "::1" || h === "::" || /^f[cd][0-9a-f]{0,2}:/.test(h) || /^fe[89ab][0-9a-f]?:/.test(h);
}

/** The secrets that hold a hyperdrive's connection string. */
export function hyperdriveSecrets(system: Pick<SystemConfig, "hyperdrives">): Set<string> {
  return new Set(Object.values(system.hyperdrives ?? {}).flatMap((h) => (h.connectionString ? [h.connectionString] : [])));
}

/**
 * Secrets this stack does not need set: those only hyperdrives it adopts by id use (their
 * connection string stays with the adopted configuration).
 */
export function secretsOnlyForAdoptedHyperdrives(ctx: { system: Pick<SystemConfig, "workers" | "hyperdrives">; settings: Pick<StackConfig, "imports"> }): Set<string> {
  const adopted = ctx.settings.imports?.hyperdrives ?? {};
  const needed = new Set(Object.values(ctx.system.workers).flatMap((w) => w.secrets ?? []));
  for (const [key, h] of Object.entries(ctx.system.hyperdrives ?? {})) if (h.connectionString && !own(adopted, key)) needed.add(h.connectionString);
  return new Set([...hyperdriveSecrets(ctx.system)].filter((s) => !needed.has(s)));
}

/** `system.hyperdrives` and `imports.hyperdrives`: every hyperdrive has an origin or an adopted id on this stack. */
export function checkHyperdrives(ctx: RuleContext): void {
  const { system, settings, stack, source, issues } = ctx;
  const adopted = settings.imports?.hyperdrives ?? {};
  for (const [key, id] of Object.entries(adopted)) {
    const path = `stack.imports.hyperdrives.${key}`;
    if (!own(system.hyperdrives, key) && !system.invalid.has(`hyperdrives.${key}`))
      issues.push({ path, message: `hyperdrive "${key}" is not declared`, hint: declared(system) });
    checkId(id, path, HEX32, "a 32-character hex Hyperdrive configuration id", stack, issues, true, false);
  }
  for (const [key, h] of Object.entries(system.hyperdrives ?? {})) {
    // (Its name is checked with every other physical name: config/nameRules.ts.)
    const at = `system.hyperdrives.${key}`;
    if (own(adopted, key)) continue;
    if (h.connectionString === undefined) {
      issues.push({
        path: at,
        message: `hyperdrive "${key}" has no connection string on stack ${stack} and is not adopted`,
        hint: `give connectionString: <NAME of a system secret { from: config }>, or adopt an existing configuration in Pulumi.${stack}.yaml: imports: { hyperdrives: { ${key}: <id> } }`,
      });
      continue;
    }
    const secret = own(system.secrets, h.connectionString) ? system.secrets![h.connectionString]! : undefined;
    const path = `${at}.connectionString`;
    if (!secret) {
      if (!system.invalid.has(`secrets.${h.connectionString}`))
        issues.push({ path, message: `secret ${h.connectionString} is not declared`, hint: `declare it under system.secrets: ${h.connectionString}: { from: config }, then pulumi config set --secret ${h.connectionString} postgres://... --stack ${stack}` });
      continue;
    }
    if (secret.from !== "config") {
      issues.push({ path, message: `secret ${h.connectionString} is generated; a connection string must come from config`, hint: `declare it { from: config } and set it: pulumi config set --secret ${h.connectionString} postgres://... --stack ${stack}` });
      continue;
    }
    const value = source.lookup(h.connectionString);
    if (value === undefined || value.value === "") continue; // reported by the secrets rule
    const origin = parseConnectionString(value.value);
    if ("problem" in origin)
      issues.push({ path: `${source.project}:${h.connectionString}`, message: `the connection string of hyperdrive "${key}" ${origin.problem}`, hint: `set it again: pulumi config set --secret ${h.connectionString} postgres://user:password@host:5432/database --stack ${stack}` });
  }
}

/** Kinds with one entry in wrangler's config (`ai`, `browser`, `version_metadata`): at most one binding per worker. */
export function checkSingleBindings(ctx: RuleContext): void {
  for (const [key, worker] of Object.entries(ctx.system.workers)) {
    const seen = new Map<string, string>();
    for (const [name, binding] of Object.entries(worker.bindings ?? {})) {
      const kind = declaredKindOf(binding);
      if (!kind?.config.single) continue;
      const before = seen.get(kind.type);
      if (before)
        ctx.issues.push({
          path: `system.workers.${key}.bindings.${name}`,
          message: `${before} already binds ${kind.config.target}: a worker has one ${kind.config.target} binding`,
          hint: `remove one of ${before} and ${name}`,
        });
      else seen.set(kind.type, name);
    }
  }
}

function declared(system: LenientSystem): string {
  const keys = Object.keys(system.hyperdrives ?? {});
  return keys.length ? `declared hyperdrives: ${keys.join(", ")}` : "declare it under system.hyperdrives";
}
