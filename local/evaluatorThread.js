// @ts-check
/**
 * The worker thread `npm start` evaluates the program in: it loads @pulumi/pulumi and the program
 * while the main thread loads Miniflare, and stays up for the re-evaluations of --watch. Messages:
 * `{ id, opts, stateDir }` in, `{ id, result }` or `{ id, error }` out.
 */
require("./launch.js");
const { parentPort } = require("node:worker_threads");
/** @type {typeof import("./evaluator")} */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { evaluateForRunner } = require("./evaluator");

if (!parentPort) throw new Error("evaluatorThread.js runs as a worker thread of the local runner");
const port = parentPort;
port.on("message", async (/** @type {{ id: number, opts: Parameters<typeof evaluateForRunner>[0], stateDir: string }} */ msg) => {
  try {
    port.postMessage({ id: msg.id, result: await evaluateForRunner(msg.opts, msg.stateDir) });
  } catch (e) {
    port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
