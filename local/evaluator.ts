/**
 * Where the local runner evaluates the program: in this thread, or in a worker thread
 * (local/evaluatorThread.js) that loads Pulumi and the program while the main thread loads Miniflare.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { Plan } from "../config/plan";
import type { Evaluation } from "../harness/evaluate";
import { evaluateLocally } from "./localEvaluation";
import type { LocalOptions } from "./runner";

/** What the runner needs from one evaluation of the program. */
export interface RunnerEvaluation {
  evaluation: Evaluation;
  plan: Plan;
  /** Notices raised while evaluating (generated secrets), in order. */
  notices: string[];
}

type EvaluationOptions = Pick<LocalOptions, "root" | "stack" | "secrets" | "plain">;

/** One evaluation for the runner, in this thread: the registered resources and the plan. */
export async function evaluateForRunner(opts: EvaluationOptions, stateDir: string): Promise<RunnerEvaluation> {
  const notices: string[] = [];
  const evaluation = await evaluateLocally(opts, stateDir, (l) => notices.push(l));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const plan = (require("../config/load") as typeof import("../config/load")).readPlan(opts.root);
  return { evaluation, plan, notices };
}

export interface Evaluator {
  evaluate(opts: EvaluationOptions, stateDir: string): Promise<RunnerEvaluation>;
  close(): Promise<void>;
}

export const inProcess: Evaluator = { evaluate: evaluateForRunner, close: async () => undefined };

/** Evaluations in a worker thread (local/evaluatorThread.js), one at a time. */
export function threadEvaluator(): Evaluator {
  const worker = new Worker(path.join(__dirname, "evaluatorThread.js"));
  worker.unref();
  let next = 0;
  const waiting = new Map<number, { resolve(r: RunnerEvaluation): void; reject(e: Error): void }>();
  worker.on("message", (m: { id: number; result?: RunnerEvaluation; error?: string }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new Error(m.error));
    else w?.resolve(m.result!);
  });
  const failAll = (e: Error) => {
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  worker.on("error", failAll);
  worker.on("exit", (code) => failAll(new Error(`the evaluation thread exited (${code})`)));
  return {
    evaluate(opts, stateDir) {
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, opts: { root: opts.root, stack: opts.stack, secrets: opts.secrets, plain: opts.plain }, stateDir });
      });
    },
    close: async () => {
      await worker.terminate();
    },
  };
}

