/** What `npm start` prints: the workers table and where the seconds of a start went. */
import type { LocalStack, StartTimings } from "./runner";
import { reportedType } from "../config/bindingKinds";

/** One line: where the seconds of a start went. */
export function describeTimings(t: StartTimings & { node?: number; modules?: number }): string {
  const parts: [string, number | undefined][] = [
    ["node", t.node],
    ["modules", t.modules],
    ["pulumi", t.pulumi],
    ["program load", t.programLoad],
    ["evaluation+bundling", t.evaluate],
    ["miniflare load", t.miniflareLoad],
    ["until evaluated", t.untilEvaluated],
    ["workerd", t.workerd],
    ["migrations", t.migrations],
  ];
  return parts
    .filter((p): p is [string, number] => p[1] !== undefined)
    .map(([name, s]) => `${name} ${s.toFixed(2)} s`)
    .join(", ");
}

/** The table `npm start` prints. */
export function describeLocal(local: LocalStack): string {
  const rows = local.workers.map((w) => [
    w.key,
    w.scriptName,
    w.url,
    w.hosts.join(" ") || (w.exposure ? `- (${w.exposure})` : "-"),
    w.assetsOnly
      ? "(assets only: no code)"
      : Object.entries(w.bindings)
          .map(([n, t]) => `${n}${t === "plain_text" ? "" : `(${reportedType(t) ?? t})`}`)
          .join(" "),
  ]);
  const head = ["worker", "script", "direct URL", "hostnames", "bindings"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  // An assets-only worker has no /health: prefer a worker with code; a whole hostname, not a pattern.
  const plain = (w: (typeof local.workers)[number]) => w.hosts.find((h) => !h.includes("/"));
  const withHost = local.workers.filter((w) => plain(w) !== undefined);
  const exampleWorker = withHost.find((w) => !w.assetsOnly) ?? withHost[0];
  const example = exampleWorker ? { host: plain(exampleWorker)!, assetsOnly: exampleWorker.assetsOnly } : undefined;
  const paths = local.workers.some((w) => w.hosts.some((h) => h.includes("/")));
  return [
    line(head),
    ...rows.map(line),
    "",
    `Hostnames are served on ${local.url} by Host header${example ? `, e.g. curl -H 'Host: ${example.host}' ${local.url}/${example.assetsOnly ? "" : "health"}` : ""}.`,
    ...(paths ? ["Routes with a path or a wildcard host match the Host header and the path as on Cloudflare: the most specific pattern wins."] : []),
    `Any other Host gets 404: no worker is routed to it, as on Cloudflare.`,
  ].join("\n");
}
