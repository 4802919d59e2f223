/**
 * Run by tests/bindingKinds.test.ts in its own process: adds a dummy binding kind to the registry,
 * in this one place, before anything reads it, then starts a project that declares it and prints
 * what each consumer made of it (program inputs, Miniflare, /health check, graph) as JSON.
 */
import { z } from "zod";
import { BINDING_KINDS, type BindingKind } from "../../config/bindingKinds";

const dummy = {
  type: "dummy",
  reported: "dummy",
  envType: () => "string",
  config: { target: "dummy", shape: { dummy: z.string().optional() } },
  plan: (name: string, d: Readonly<Record<string, string | undefined>>) => ({ name, type: "dummy", value: d.dummy! }),
  provider: (p: { name: string; value: string }) => ({ name: p.name, type: "dummy", text: p.value }),
  miniflare: (b: { name: string; text?: string }, m: { bindings: Record<string, unknown> }) => void (m.bindings[b.name] = `dummy:${b.text}`),
  wrangler: (b: { name: string; text?: string }, w: { vars: Record<string, unknown> }) => void (w.vars[b.name] = `dummy:${b.text}`),
  graph: (b: { name: string; text?: string }, g: { other(kind: string, key: string, label: string): string; edge(node: string, label: string): void }) =>
    g.edge(g.other("dummy", String(b.text), `dummy ${b.text}`), b.name),
};
(BINDING_KINDS as unknown as Record<string, BindingKind>)["dummy"] = dummy as unknown as BindingKind;

async function main(root: string, stateDir: string): Promise<void> {
  // Loaded only now: the schema is built from the table as it is at this point.
  const { startLocal } = await import("../../local/runner");
  const { targetsOf } = await import("../../local/targets");
  const { checkWorker } = await import("../../local/healthCheck");
  const { stackGraph } = await import("../../scripts/graph");
  const { reveal } = await import("../../local/evaluate");
  const { registeredScripts } = await import("../../config/resourceTypes");
  const local = await startLocal({ root, stack: "staging", port: 0, stateDir, plain: { accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210" }, log: () => undefined });
  try {
    const script = registeredScripts(local.evaluation.resources, reveal)[0]!;
    const worker = local.workers[0]!;
    const served = await (await fetch(`${worker.url}/dummy`)).text();
    const targets = targetsOf(local.evaluation, "", (scriptName) => ({ url: local.workers.find((w) => w.scriptName === scriptName)?.url }));
    const health = await checkWorker(targets[0]!);
    process.stdout.write(
      JSON.stringify({ inputs: script.inputs.bindings, served, rows: health.rows, graph: stackGraph(local.evaluation), table: worker.bindings }),
    );
  } finally {
    await local.dispose();
  }
}

main(process.argv[2]!, process.argv[3]!).then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  },
);
