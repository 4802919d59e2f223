/**
 * Run by tests/bindingKinds.test.ts in its own process: adds the dummy binding kind of ./dummy.ts
 * (a kind module as config/kinds/ holds them) to the table, before anything reads it, then starts a project that declares it and prints
 * what each consumer made of it (program inputs, Miniflare, /health check, graph) as JSON.
 */
import { KIND_MODULES } from "../../config/kinds";
import { dummyKind } from "./dummy";

// The one line a real kind adds to config/kinds/index.ts (the cast: "dummy" is no type of the
// compiled table, and no /health type of config/reportedTypes.ts).
(KIND_MODULES as Record<string, unknown>)["dummy"] = dummyKind;

async function main(root: string, stateDir: string): Promise<void> {
  // Loaded only now: the schema is built from the table as it is at this point.
  const { startLocal } = await import("../../local/runner");
  const { targetsOf } = await import("../../checks/targets");
  const { checkWorker } = await import("../../checks/healthCheck");
  const { stackGraph } = await import("../../scripts/graph");
  const { reveal } = await import("../../harness/evaluate");
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
