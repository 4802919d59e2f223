/** Binding kind: `{ workflow: <key> }`: a Workflow declared under some worker's `workflows`. */
import { logicalKey } from "../fields";
import { type BindingKind, str, scriptNameOf } from "./contract";

/** `worker` is the key of the worker that hosts the workflow; its name and class are resolved in the plan. */
export type WorkflowBinding = { name: string; type: "workflow"; workflow: string; worker: string; workflowName: string; className: string };

export const workflowKind: BindingKind<WorkflowBinding> = {
  type: "workflow",
  envType: () => "Workflow",
  reported: "workflow",
  /** A Workflow of this system, by logical key (declared under some worker's `workflows`). */
  config: {
    target: "workflow",
    shape: { workflow: logicalKey.optional() },
    /** Some worker (on this stack or not) hosts the workflow. */
    check: (d, ctx) =>
      ctx.workflowHost(d.workflow as string) === undefined
        ? { message: `no worker hosts workflow "${str(d.workflow)}"`, hint: "declare it under the hosting worker's workflows: <key>: { className: ... }" }
        : undefined,
  },
  plan: (name, d, ctx) => {
    const wf = ctx.workflow(d.workflow as string)!;
    return { name, type: "workflow", workflow: d.workflow as string, worker: wf.worker, workflowName: wf.name, className: wf.className };
  },
  deployEdge: (d, ctx) => (d.workflow !== undefined ? ctx.workflowHost(d.workflow as string) : undefined),
  // Its own workflow is named by string (the Workflow resource is created after the script);
  // another worker's comes from that worker's Workflow resource, so it exists first.
  provider: (p, r) =>
    p.worker === r.self
      ? { name: p.name, type: p.type, workflowName: p.workflowName, className: p.className }
      : { name: p.name, type: p.type, workflowName: r.workflowName(p.worker, p.workflow), className: p.className, scriptName: r.scriptName(p.worker) },
  miniflare: (b, m) => void (m.workflows[b.name] = { name: b.workflowName, className: b.className, ...scriptNameOf(b) }),
  wrangler: (b, w) => w.push("workflows", { binding: b.name, name: b.workflowName, class_name: b.className, ...(b.scriptName ? { script_name: b.scriptName } : {}) }),
  graph: (b, g) => g.edge(g.workflow(str(b.workflowName), b.className), b.name),
};
