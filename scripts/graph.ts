/**
 * `npm run graph -- --stack <s> [--out <file>] [--readme] [--cwd <dir>]`
 *
 * A Mermaid `flowchart LR` of one stack, drawn from the same evaluation the program deploys (the
 * program under Pulumi's mock runtime, secrets and ids handled as the local runner does): workers
 * and their bindings to D1 databases, KV namespaces, R2 buckets, queues, Durable Objects,
 * workflows and other workers; hostnames, workers.dev and cron triggers that reach each worker (a
 * worker nothing public reaches is marked "no public URL"); tail consumers; queue consumers
 * and dead-letter queues; and the secrets two or more workers share. The output is sorted and names
 * only declared things (no ids, no git version), so it changes exactly when the declaration does.
 *
 * --readme rewrites the ```mermaid block between `<!-- graph:<stack>:start -->` and
 * `<!-- graph:<stack>:end -->` in README.md and nothing else.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { type GraphApi, kindOf } from "../config/bindingKinds";
import { RESOURCE_TYPE, type RegisteredBinding } from "../config/resourceTypes";
import { Evaluation, reveal } from "../harness/evaluate";
import { evaluateLocally } from "../local/runner";
import { runMain } from "./cli";

const T = RESOURCE_TYPE;

type Inputs = Record<string, unknown>;

/** A Mermaid node id: letters, digits and `_` only. */
function id(kind: string, key: string): string {
  return `${kind}_${key.replace(/[^A-Za-z0-9]/g, "_")}`;
}

/** A quoted Mermaid label (a `"` would end it). */
function label(...lines: string[]): string {
  return `"${lines.map((l) => l.replace(/"/g, "#quot;")).join("<br/>")}"`;
}

/** The Mermaid flowchart of an evaluated stack, without the code fence. */
export function stackGraph(ev: Evaluation): string {
  const nodes = new Map<string, string>();
  const edges = new Set<string>();
  const of = (type: string) => ev.resources.filter((r) => r.type === type).map((r) => ({ r, i: reveal(r.inputs) as Inputs }));
  const node = (nid: string, text: string) => nodes.set(nid, `  ${nid}${text}`);
  const edge = (from: string, to: string, text?: string, dotted = false) =>
    edges.add(`  ${from} ${dotted ? "-.->" : "-->"}${text ? `|${label(text)}|` : ""} ${to}`);

  // Workers, by script name (what bindings, routes and consumers refer to).
  const workerByScript = new Map<string, string>();
  for (const { r, i } of of(T.script)) {
    workerByScript.set(String(i.scriptName), r.name);
    node(id("worker", r.name), `[${label(r.name, String(i.scriptName))}]`);
  }
  const workerId = (scriptName: string) => {
    const key = workerByScript.get(scriptName);
    if (key) return id("worker", key);
    // A script outside this stack (should not happen: the config refuses it), drawn as such.
    node(id("external", scriptName), `[${label(scriptName, "(not in this stack)")}]`);
    return id("external", scriptName);
  };

  const byInput = (type: string, field: string) => new Map(of(type).map(({ r, i }) => [String(field === "id" ? r.id : i[field]), { r, i }]));
  const d1 = byInput(T.d1, "id");
  const kv = byInput(T.kv, "id");
  const r2 = byInput(T.r2, "name");
  const queues = byInput(T.queue, "queueName");
  const queuesById = byInput(T.queue, "id");
  const workflows = byInput(T.workflow, "workflowName");

  const store = (kind: string, what: string, key: string, name: string) => {
    const nid = id(kind, key);
    node(nid, `[(${label(`${what} ${key}`, name)})]`);
    return nid;
  };
  const queueNode = (name: string) => {
    const q = queues.get(name);
    const nid = id("queue", q?.r.name ?? name);
    node(nid, `[/${label(`queue ${q?.r.name ?? name}`, name)}/]`);
    return nid;
  };

  // Bindings: what each worker reaches, labelled with the binding name.
  const secretUsers = new Map<string, string[]>();
  for (const { r, i } of of(T.script)) {
    const from = id("worker", r.name);
    const g: GraphApi = {
      d1: (dbId) => {
        const db = d1.get(dbId);
        return store("d1", "D1", db?.r.name ?? dbId, String(db?.i.name ?? dbId));
      },
      kv: (nsId) => {
        const ns = kv.get(nsId);
        return store("kv", "KV", ns?.r.name ?? nsId, String(ns?.i.title ?? nsId));
      },
      r2: (bucketName) => store("r2", "R2", r2.get(bucketName)?.r.name ?? bucketName, bucketName),
      queue: queueNode,
      worker: workerId,
      durableObject: (hostScript, className) => {
        const host = hostScript ?? String(i.scriptName);
        const hostKey = workerByScript.get(host) ?? host;
        const nid = id("do", `${hostKey}_${className}`);
        node(nid, `[[${label(`DO ${className}`, `in ${hostKey}`)}]]`);
        return nid;
      },
      workflow: (workflowName, className) => {
        const wf = workflows.get(workflowName);
        const runsIn = wf ? (workerByScript.get(String(wf.i.scriptName)) ?? String(wf.i.scriptName)) : "?";
        const nid = id("workflow", workflowName);
        node(nid, `[[${label(`workflow ${className ?? ""}`.trim(), `in ${runsIn}`)}]]`);
        return nid;
      },
      other: (kind, key, text) => {
        const nid = id(kind, key);
        node(nid, `[${label(text)}]`);
        return nid;
      },
      secret: (name) => secretUsers.set(name, [...(secretUsers.get(name) ?? []), from]),
      edge: (to, text) => edge(from, to, text),
    };
    for (const b of (i.bindings ?? []) as RegisteredBinding[]) {
      const kind = kindOf(b.type);
      if (kind) kind.graph(b, g);
      else {
        // A binding no kind knows: drawn by its type.
        const nid = id("binding", `${r.name}_${b.name}`);
        node(nid, `[${label(`${b.type} ${b.name}`)}]`);
        edge(from, nid, b.name);
      }
    }
  }

  // Static assets: the files each worker serves (its binding, if any, labels the edge).
  for (const { r, i } of of(T.script)) {
    const a = i.assets as { config?: { notFoundHandling?: string; runWorkerFirst?: unknown } } | undefined;
    if (!a) continue;
    const binding = ((i.bindings ?? []) as RegisteredBinding[]).find((b) => b.type === "assets")?.name;
    const how = [i.contentFile === undefined ? "assets only" : undefined, a.config?.notFoundHandling, a.config?.runWorkerFirst ? "worker first" : undefined].filter(Boolean).join(", ");
    const nid = id("assets", r.name);
    node(nid, `[/${label(`assets of ${r.name}`, how || "files")}\\]`);
    edge(id("worker", r.name), nid, binding ?? "serves");
  }

  // What reaches the workers: hostnames (routes, custom domains), cron triggers, queue consumers.
  for (const { i } of of(T.route)) {
    // A whole hostname by its name, a route with a path or a wildcard by its pattern.
    const host = String(i.pattern).replace(/^([^/*]+)\/\*$/, "$1");
    node(id("host", host), `([${label(host)}])`);
    edge(id("host", host), workerId(String(i.script)));
  }
  for (const { i } of of(T.customDomain)) {
    const host = String(i.hostname);
    node(id("host", host), `([${label(host, "custom domain")}])`);
    edge(id("host", host), workerId(String(i.service)));
  }
  // workers.dev, where it is on; a worker nothing public reaches is marked as such.
  const reached = new Set([...of(T.route).map(({ i }) => String(i.script)), ...of(T.customDomain).map(({ i }) => String(i.service))]);
  for (const { i } of of(T.subdomain)) {
    const script = String(i.scriptName);
    const key = workerByScript.get(script);
    if (i.enabled === true) {
      node(id("workersdev", script), `([${label("workers.dev", `${script}.*.workers.dev`)}])`);
      edge(id("workersdev", script), workerId(script));
    } else if (key && !reached.has(script)) {
      node(id("worker", key), `[${label(key, script, "no public URL")}]`);
    }
  }
  // Tail consumers: where each worker's tail events go.
  for (const { r, i } of of(T.script))
    for (const t of (i.tailConsumers ?? []) as { service: string }[]) edge(id("worker", r.name), workerId(t.service), "tail events", true);
  for (const { r, i } of of(T.cron)) {
    const schedules = ((i.schedules ?? []) as { cron: string }[]).map((s) => s.cron).sort();
    node(id("cron", r.name), `([${label(`cron ${schedules.join(", ")}`)}])`);
    edge(id("cron", r.name), workerId(String(i.scriptName)));
  }
  for (const { i } of of(T.consumer)) {
    const q = queuesById.get(String(i.queueId));
    if (!q) continue;
    const from = queueNode(String(q.i.queueName));
    edge(from, workerId(String(i.scriptName)), "consumes");
    if (i.deadLetterQueue) edge(from, queueNode(String(i.deadLetterQueue)), "dead letters", true);
  }

  // Secrets two or more workers share: one value, every user updated in the same `up`.
  const generated = new Set(of(T.password).map(({ r }) => r.name));
  for (const [name, users] of secretUsers) {
    if (users.length < 2) continue;
    const nid = id("secret", name);
    node(nid, `{{${label(name, generated.has(name) ? "generated secret" : "config secret")}}}`);
    for (const u of users) edge(nid, u, undefined, true);
  }

  const sorted = (xs: Iterable<string>) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return ["flowchart LR", ...sorted(nodes.values()), ...sorted(edges)].join("\n") + "\n";
}

/** The diagram as a fenced Markdown block. */
export function mermaidBlock(graph: string): string {
  return "```mermaid\n" + graph + "```";
}

export function markers(stack: string): { start: string; end: string } {
  return { start: `<!-- graph:${stack}:start -->`, end: `<!-- graph:${stack}:end -->` };
}

/** The text between a stack's markers in a README, trimmed; undefined when they are missing. */
export function readmeBlock(readme: string, stack: string): string | undefined {
  const { start, end } = markers(stack);
  const a = readme.indexOf(start);
  const b = readme.indexOf(end, a + start.length);
  if (a < 0 || b < 0) return undefined;
  return readme.slice(a + start.length, b).trim();
}

/** The README with only the text between the stack's markers replaced by `block`. */
export function replaceReadmeBlock(readme: string, stack: string, block: string): string {
  const { start, end } = markers(stack);
  const a = readme.indexOf(start);
  const b = readme.indexOf(end, a + start.length);
  if (a < 0 || b < 0) throw new Error(`README.md has no ${start} ... ${end} block: add the two markers where the diagram belongs`);
  return readme.slice(0, a + start.length) + "\n" + block + "\n" + readme.slice(b);
}

/** Evaluates the stack the way the local runner does (nothing starts, nothing is contacted) and draws it. */
export async function graphOfStack(root: string, stack: string): Promise<string> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "workers-stack-graph-"));
  try {
    return stackGraph(await evaluateLocally({ root, stack }, stateDir, () => undefined));
  } finally {
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

/** The command: `args` as after `workers-stack <command>` (default: this process's arguments). */
export async function main(args: string[] = process.argv.slice(2)): Promise<number> {
  const { values } = parseArgs({ args, options: { stack: { type: "string" }, out: { type: "string" }, readme: { type: "boolean", default: false }, cwd: { type: "string" } } });
  if (!values.stack) {
    console.error("usage: npm run graph -- --stack <name> [--out <file>] [--readme] [--cwd <project dir>]");
    return 2;
  }
  const root = path.resolve(values.cwd ?? process.cwd());
  const graph = await graphOfStack(root, values.stack);
  if (values.readme) {
    const file = path.join(root, "README.md");
    const before = fs.readFileSync(file, "utf8");
    const after = replaceReadmeBlock(before, values.stack, mermaidBlock(graph));
    if (after !== before) fs.writeFileSync(file, after);
    console.error(after === before ? `README.md: the ${values.stack} diagram is up to date` : `README.md: rewrote the ${values.stack} diagram`);
  }
  if (values.out) fs.writeFileSync(path.resolve(values.out), graph);
  if (!values.readme && !values.out) process.stdout.write(graph);
  return 0;
}

if (require.main === module) runMain(main);
