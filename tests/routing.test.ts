/**
 * Routing: zone routes with paths and wildcards (a WorkersRoute only, no DNS record), fully
 * qualified hostnames, several zones with per-stack zone ids — the registered inputs under the
 * mock runtime, the validation errors, and the local runner dispatching by route like Cloudflare.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError } from "../config/errors";
import { parseRoutePattern, routeUrl } from "../config/routing";
import { validate, type ConfigSource } from "../config/validate";
import { evaluateLocally, startLocal, type LocalStack } from "../local/runner";
import { targetsOf, withTargets } from "../checks/targets";
import { httpGet } from "../checks/http";
import { stackGraph } from "../scripts/graph";
import { evaluate, ofType, one, reveal, TEST_IDS, TYPES } from "./helpers";

const IO_ZONE_ID = "0123456789abcdef0123456789abcdee";

/** A stub worker that says who it is and what it was asked. */
const stub = (name: string) =>
  `export default { fetch(request) { const u = new URL(request.url); return Response.json({ worker: ${JSON.stringify(name)}, host: u.host, path: u.pathname }); } };\n`;

/** The system of the routing project: two zones, a host, a path route on it, a wildcard route, a multi-level hostname, a custom domain. */
const SYSTEM = {
  app: "rt",
  zone: "example.com",
  zones: ["example.io"],
  compatibilityDate: "2025-09-01",
  workers: {
    // shop-staging.example.com (CNAME + route) and a custom domain in the second zone.
    site: { entry: "site.js", hostnames: ["shop"], customDomains: ["app.staging.example.io", "front.staging.example.io"] },
    // Only routes: /api/ of the site's host (and /v2/ over https only), every subhost of legacy.example.io.
    api: { entry: "api.js", routes: ["shop-staging.example.com/api/*", { pattern: "*.legacy.example.io/*", zone: "example.io" }, "https://shop-staging.example.com/v2/*"] },
    // A multi-level hostname in the second zone, taken literally.
    // ...and a route in front of the site's second custom domain (routes take precedence on Cloudflare).
    eu: { entry: "eu.js", hostnames: ["api.eu.example.io"], routes: ["front.staging.example.io/*"] },
  },
};

function writeProject(dir: string, system: unknown = SYSTEM, stackFile = "config: {}\n"): void {
  for (const w of ["site", "api", "eu"]) fs.writeFileSync(path.join(dir, `${w}.js`), stub(w));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: routing\nruntime: nodejs\nconfig:\n  routing:system:\n    value: ${JSON.stringify(system)}\n`);
  fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), stackFile);
}

describe("routing: zone routes, fully qualified hostnames, several zones", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ws-routing-"));
    writeProject(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe("registered inputs (mock runtime)", () => {
    let ev: Awaited<ReturnType<typeof evaluate>>;
    before(async () => {
      ev = await evaluate("staging", { root: dir, secrets: {}, stackSettings: { zoneIds: { "example.io": IO_ZONE_ID } } });
      if (ev.error) throw ev.error;
    });

    it("creates a route with a path as a WorkersRoute in the main zone, with no DNS record", () => {
      const route = one(ev, TYPES.route, "shop-staging.example.com/api/*");
      assert.deepEqual(reveal(route.inputs), { zoneId: TEST_IDS.zoneId, pattern: "shop-staging.example.com/api/*", script: "rt-api-staging" });
      const records = ofType(ev, TYPES.dns).map((r) => (reveal(r.inputs) as { name: string }).name).sort();
      assert.deepEqual(records, ["api.eu.example.io", "shop-staging.example.com"], "a DNS record per hostname, none for a route");
    });

    it("creates a wildcard route in the zone it names, with that zone's id from zoneIds", () => {
      const route = one(ev, TYPES.route, "*.legacy.example.io/*");
      assert.deepEqual(reveal(route.inputs), { zoneId: IO_ZONE_ID, pattern: "*.legacy.example.io/*", script: "rt-api-staging" });
    });

    it("puts a multi-level hostname of the second zone in that zone, literally (no suffix)", () => {
      const record = reveal(one(ev, TYPES.dns, "api.eu.example.io").inputs) as Record<string, unknown>;
      assert.equal(record.zoneId, IO_ZONE_ID);
      assert.equal(record.name, "api.eu.example.io");
      assert.equal(record.content, "example.io", "the CNAME points at its own zone when no dnsTarget is set");
      assert.deepEqual(reveal(one(ev, TYPES.route, "api.eu.example.io").inputs), { zoneId: IO_ZONE_ID, pattern: "api.eu.example.io/*", script: "rt-eu-staging" });
      const main = reveal(one(ev, TYPES.dns, "shop-staging.example.com").inputs) as Record<string, unknown>;
      assert.equal(main.zoneId, TEST_IDS.zoneId);
    });

    it("creates a custom domain of the second zone with that zone's id", () => {
      assert.deepEqual(reveal(one(ev, TYPES.customDomain, "app.staging.example.io").inputs), {
        accountId: TEST_IDS.accountId,
        zoneId: IO_ZONE_ID,
        hostname: "app.staging.example.io",
        service: "rt-site-staging",
      });
    });

    it("lists every worker's URLs and route patterns in the outputs", () => {
      const workers = (ev.outputs as { workers: Record<string, { urls: string[]; routes?: string[] }> }).workers;
      assert.deepEqual(workers.site!.urls, ["https://shop-staging.example.com", "https://app.staging.example.io", "https://front.staging.example.io"]);
      assert.deepEqual(workers.api!.urls, ["https://shop-staging.example.com/api/", "https://shop-staging.example.com/v2/"], "a wildcard host has no one URL");
      assert.deepEqual(workers.api!.routes, ["shop-staging.example.com/api/*", "*.legacy.example.io/*", "https://shop-staging.example.com/v2/*"]);
      assert.deepEqual(workers.eu!.urls, ["https://api.eu.example.io", "https://front.staging.example.io"]);
    });

    it("takes the main zone's id from zoneIds alone, also in the local evaluation (which makes up only what is missing)", async () => {
      const MAIN = "00112233445566778899aabbccddeeff";
      const settings = JSON.stringify({ zoneIds: { "example.com": MAIN } });
      const local = await evaluateLocally({ root: dir, stack: "staging", plain: { accountId: TEST_IDS.accountId, "routing:stack": settings } }, path.join(dir, "state-ids"), () => undefined);
      assert.equal((reveal(one(local, TYPES.route, "shop-staging.example.com/api/*").inputs) as { zoneId: string }).zoneId, MAIN);
      const io = (reveal(one(local, TYPES.route, "*.legacy.example.io/*").inputs) as { zoneId: string }).zoneId;
      assert.match(io, /^[0-9a-f]{32}$/, "a made-up id for the second zone");
      assert.notEqual(io, MAIN);
    });

    it("draws a route with a path or a wildcard host by its pattern in the graph", () => {
      const graph = stackGraph(ev);
      assert.match(graph, /host_shop_staging_example_com_api__\(\["shop-staging\.example\.com\/api\/\*"\]\)/);
      assert.match(graph, /host_shop_staging_example_com_api__ --> worker_api/);
      assert.match(graph, /host___legacy_example_io__ --> worker_api/);
      assert.match(graph, /host_api_eu_example_io\(\["api\.eu\.example\.io"\]\)/);
    });

    it("says a worker routed only by wildcard hosts has no one URL to check (not 'no public URL')", async () => {
      const system = structuredClone(SYSTEM) as any;
      system.workers.api.routes = [{ pattern: "*.legacy.example.io/*", zone: "example.io" }];
      const variant = await evaluate("staging", { root: dir, secrets: {}, system, stackSettings: { zoneIds: { "example.io": IO_ZONE_ID } } });
      if (variant.error) throw variant.error;
      const api = targetsOf(variant, "", (_s, hosts) => (hosts[0] ? { url: `https://${hosts[0]}` } : {})).find((t) => t.key === "api")!;
      assert.equal(api.url, undefined);
      assert.equal(api.exposure, "wildcard routes");
    });

    it("gives the checks (validate, smoke) each worker's host, and the path prefix of a path route", () => {
      const targets = targetsOf(ev, "", (_s, hosts) => (hosts[0] ? { url: `https://${hosts[0]}` } : {}));
      const url = (key: string) => targets.find((t) => t.key === key)?.url;
      assert.equal(url("site"), "https://shop-staging.example.com");
      assert.equal(url("api"), "https://shop-staging.example.com/api/");
      assert.equal(url("eu"), "https://api.eu.example.io");
    });
  });

  describe("validation", () => {
    const facts = { isFile: () => true, listDir: () => [], today: "2026-01-01" };
    /** The problems of the routing system changed by `change` (none: ""). */
    function problems(change: (s: any) => void, o: { stackSettings?: unknown; zoneId?: string } = {}): string {
      const system = structuredClone(SYSTEM) as any;
      change(system);
      const source: ConfigSource = {
        project: "routing",
        stack: "staging",
        system,
        stackSettings: o.stackSettings ?? { zoneIds: { "example.io": IO_ZONE_ID } },
        accountId: TEST_IDS.accountId,
        ...("zoneId" in o ? (o.zoneId === undefined ? {} : { zoneId: o.zoneId }) : { zoneId: TEST_IDS.zoneId }),
        lookup: () => undefined,
      };
      try {
        validate(source, facts);
        return "";
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        return e.message;
      }
    }
    const routes = (...r: unknown[]) => (s: any) => (s.workers.api.routes = r);

    it("accepts the routing system", () => assert.equal(problems(() => undefined), ""));

    for (const [pattern, says] of [
      ["shop.example.com/*.jpg", /route pattern "shop\.example\.com\/\*\.jpg" is refused by Cloudflare: the path \/\*\.jpg has a wildcard that is not at its end/],
      ["api.*.example.com/*", /the host api\.\*\.example\.com has a wildcard that is not at its start/],
      ["shop.example.com/?page=*", /it contains a query string/],
      ["ftp://shop.example.com/*", /the scheme ftp:\/\/ is not allowed/],
      ["*/*", /it has no hostname/],
      ["Shop.example.com/*", /capital letters/],
      ["shop.example.com:8443/*", /has a port/],
    ] as const)
      it(`refuses the route pattern ${pattern}`, () => {
        const message = problems(routes(pattern));
        assert.match(message, /system\.workers\.api\.routes\.0: /);
        assert.match(message, says);
      });

    it("accepts Cloudflare's documented pattern forms", () => {
      for (const p of ["example.com", "https://*.example.com/images/*", "*example.com/*", "http://shop.example.com/path*", "shop.example.com/api/v1/users"])
        assert.ok(parseRoutePattern(p).ok, p);
      assert.equal(problems(routes("*example.com/*", "https://shop.example.com/api/v2*", "example.com")), "");
      assert.equal(routeUrl("http://shop.example.com/path*"), "http://shop.example.com/path");
      assert.equal(routeUrl("*.example.com/*"), undefined);
    });

    it("refuses a host under no declared zone (a route, a hostname, a custom domain)", () => {
      const message = problems((s) => {
        s.workers.api.routes = ["shop.other.org/*"];
        s.workers.eu.hostnames = ["api.eu.other.org"];
        s.workers.site.customDomains = ["app.other.org"];
      });
      assert.match(message, /system\.workers\.api\.routes\.0: the host shop\.other\.org is under no zone of the system \(zones: example\.com, example\.io\)/);
      assert.match(message, /add its zone to system\.zones \(e\.g\. zones: \[other\.org\]\)/);
      assert.match(message, /system\.workers\.eu\.hostnames: hostname api\.eu\.other\.org is under no zone of the system/);
      assert.match(message, /system\.workers\.site\.customDomains: hostname app\.other\.org is under no zone of the system/);
    });

    it("refuses a route's zone that is not declared, or that its host is not under", () => {
      assert.match(problems(routes({ pattern: "shop.example.com/*", zone: "example.net" })), /routes\.0: zone example\.net is not a zone of the system/);
      assert.match(problems(routes({ pattern: "shop.example.com/*", zone: "example.io" })), /routes\.0: the host shop\.example\.com is not under zone example\.io/);
    });

    it("says which zone id a stack misses, and where to give it", () => {
      const message = problems(() => undefined, { stackSettings: {} });
      assert.match(message, /in Pulumi\.staging\.yaml:\n {2}- stack\.zoneIds\.example\.io: not set: stack staging serves on zone example\.io/);
      assert.match(message, /zoneIds: \{ "example\.io": <32-character hex zone id> \}/);
      assert.match(problems(() => undefined, { zoneId: undefined }), /zoneId: not set \(a 32-character hex zone id of example\.com\)\n\s+pulumi config set zoneId <id> --stack staging/);
    });

    it("refuses a malformed or placeholder zone id, an id for an undeclared zone, and two ids for the main zone", () => {
      assert.match(problems(() => undefined, { stackSettings: { zoneIds: { "example.io": "1234" } } }), /stack\.zoneIds\.example\.io: "1234" is not a 32-character hex zone id/);
      assert.match(problems(() => undefined, { stackSettings: { zoneIds: { "example.io": "<zone id>" } } }), /stack\.zoneIds\.example\.io: placeholder id "<zone id>"/);
      assert.match(
        problems(() => undefined, { stackSettings: { zoneIds: { "example.io": IO_ZONE_ID, "example.net": IO_ZONE_ID } } }),
        /stack\.zoneIds\.example\.net: example\.net is not a zone of the system/,
      );
      assert.match(
        problems(() => undefined, { stackSettings: { zoneIds: { "example.io": IO_ZONE_ID, "example.com": IO_ZONE_ID } } }),
        /stack\.zoneIds\.example\.com: the main zone example\.com has two ids/,
      );
      // The main zone's id may come from zoneIds alone.
      assert.equal(problems(() => undefined, { zoneId: undefined, stackSettings: { zoneIds: { "example.io": IO_ZONE_ID, "example.com": TEST_IDS.zoneId } } }), "");
    });

    it("refuses one pattern on two workers, also a route equal to another worker's hostname", () => {
      assert.match(problems((s) => (s.workers.eu.routes = ["shop-staging.example.com/api/*"])), /system\.workers\.eu\.routes\.0: route shop-staging\.example\.com\/api\/\* is already routed to worker "api"/);
      assert.match(problems(routes("shop-staging.example.com/*")), /system\.workers\.api\.routes\.0: route shop-staging\.example\.com\/\* is already routed to worker "site"/);
    });

    it("refuses one hostname on two workers, written as a label on one and fully qualified on the other", () => {
      assert.match(problems((s) => (s.workers.eu.hostnames = ["shop-staging.example.com"])), /system\.workers\.eu\.hostnames: hostname shop-staging\.example\.com is already used by worker "site"/);
      assert.match(problems((s) => (s.workers.eu.customDomains = ["app.staging.example.io"])), /system\.workers\.eu\.customDomains: hostname app\.staging\.example\.io is already used by worker "site"/);
    });

    it("makes zone optional when nothing is served on it, and refuses a label without it", () => {
      const noZone = (s: any) => {
        delete s.zone;
        s.workers.site.hostnames = ["shop.example.io"];
        s.workers.api.routes = ["shop.example.io/api/*"];
      };
      assert.equal(problems(noZone, { zoneId: undefined }), "", "no main zone, no zoneId needed");
      assert.match(
        problems((s) => (noZone(s), (s.workers.eu.hostnames = ["eu"])), { zoneId: undefined }),
        /system\.workers\.eu\.hostnames: "eu" is a label under the main zone, but the system has no zone/,
      );
      // Nothing served at all: no zone id of any kind.
      assert.equal(problems((s) => ((s.workers = { site: { entry: "site.js" } }), delete s.zone, delete s.zones), { zoneId: undefined, stackSettings: {} }), "");
    });

    it("refuses a zone declared twice", () => {
      assert.match(problems((s) => (s.zones = ["example.io", "example.com"])), /system\.zones\.1: zone example\.com is declared twice/);
    });
  });

  describe("local runner: requests dispatched by route as on Cloudflare", () => {
    let local: LocalStack;
    before(async () => {
      // The stack file gives no zone ids: the runner makes them up, as it does for zoneId.
      local = await startLocal({ root: dir, stack: "staging", port: 0, stateDir: path.join(dir, "state"), plain: { accountId: TEST_IDS.accountId }, log: () => undefined });
    });
    after(async () => local?.dispose());

    const ask = async (host: string, pathname: string) => {
      const res = await httpGet(`${local.url}${pathname}`, host);
      return { status: res.status, worker: res.status === 200 ? (JSON.parse(res.body) as { worker: string }).worker : undefined };
    };

    it("sends a path route to its worker and the host's other paths to the hostname's worker", async () => {
      assert.deepEqual(await ask("shop-staging.example.com", "/api/orders"), { status: 200, worker: "api" });
      assert.deepEqual(await ask("shop-staging.example.com", "/api/"), { status: 200, worker: "api" });
      assert.deepEqual(await ask("shop-staging.example.com", "/"), { status: 200, worker: "site" });
      assert.deepEqual(await ask("shop-staging.example.com", "/apis"), { status: 200, worker: "site" }, "/api/* does not match /apis");
      // An https:// pattern stands for its host locally (every local request is plain http).
      assert.deepEqual(await ask("shop-staging.example.com", "/v2/items"), { status: 200, worker: "api" });
    });

    it("serves a wildcard host route, a multi-level hostname of the second zone and its custom domain", async () => {
      assert.deepEqual(await ask("old.legacy.example.io", "/x"), { status: 200, worker: "api" });
      assert.deepEqual(await ask("a.b.legacy.example.io", "/"), { status: 200, worker: "api" });
      assert.equal((await ask("legacy.example.io", "/")).status, 404, "*.legacy.example.io does not match legacy.example.io itself");
      assert.deepEqual(await ask("api.eu.example.io", "/health"), { status: 200, worker: "eu" });
      assert.deepEqual(await ask("app.staging.example.io", "/"), { status: 200, worker: "site" });
      assert.deepEqual(await ask("front.staging.example.io", "/"), { status: 200, worker: "eu" }, "a route on a custom domain's host runs in front of it");
      assert.equal((await ask("other.example.io", "/")).status, 404, "no route, no worker");
    });

    it("with --base-url, the checks call a path-only worker at the base URL plus its path prefix, with its host", async () => {
      const api = await withTargets({ root: dir, stack: "staging", baseUrl: local.url, plain: { accountId: TEST_IDS.accountId } }, async (targets) => targets.find((t) => t.key === "api")!);
      assert.equal(api.url, `${local.url}/api/`);
      assert.equal(api.host, "shop-staging.example.com");
      const res = await httpGet(`${api.url}health`, api.host);
      assert.deepEqual(JSON.parse(res.body), { worker: "api", host: "shop-staging.example.com", path: "/api/health" });
    });

    it("reaches a path-only worker where the checks call it: its host and path prefix", async () => {
      const targets = targetsOf(local.evaluation, "", (_s, hosts) => ({ ...(hosts[0] ? { url: `https://${hosts[0]}` } : {}) }));
      const api = targets.find((t) => t.key === "api")!;
      const at = new URL(api.url!);
      const res = await httpGet(`${local.url}${at.pathname}health`, at.host);
      assert.deepEqual(JSON.parse(res.body), { worker: "api", host: "shop-staging.example.com", path: "/api/health" });
    });
  });
});
