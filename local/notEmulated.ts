/**
 * The stand-in for a binding only Cloudflare serves (Workers AI, Browser Rendering, Vectorize,
 * mTLS certificates, dispatch namespaces, AI Search, Artifacts): one internal worker whose
 * `NotEmulated` entrypoint each such binding reaches with its own message (`props`). `fetch`
 * answers 501 with the message; any other call (`env.AI.run(...)`, `env.INDEX.query(...)`,
 * `env.DISPATCHER.get(...)`) throws an Error with the message and the method, so the code that
 * calls it fails clearly instead of with workerd's "internal error; reference = ...".
 */
import { NOT_EMULATED_ENTRYPOINT, NOT_EMULATED_WORKER } from "../config/bindingKinds";

const SCRIPT = `import { WorkerEntrypoint } from "cloudflare:workers";
export class ${NOT_EMULATED_ENTRYPOINT} extends WorkerEntrypoint {
  constructor(ctx, env) {
    super(ctx, env);
    const message = "workers-stack: " + String((ctx.props && ctx.props.message) || "this binding is not emulated locally");
    // Every method name exists: RPC looks it up on the instance, so a Proxy answers for all.
    return new Proxy(this, {
      get(target, prop, receiver) {
        if (prop === "fetch") return async () => new Response(message + "\\n", { status: 501, headers: { "content-type": "text/plain; charset=utf-8", "x-workers-stack": "not-emulated" } });
        if (typeof prop === "symbol" || prop in target) return Reflect.get(target, prop, receiver);
        return () => { throw new Error(message + " (" + String(prop) + "() was called)"); };
      },
    });
  }
}
export default { fetch() { return new Response("workers-stack: not emulated locally\\n", { status: 501 }); } };
`;

/** True when some worker's options bind the stand-in. */
export function usesNotEmulated(workers: Record<string, unknown>[]): boolean {
  return workers.some((w) => Object.values((w.serviceBindings ?? {}) as Record<string, unknown>).some((s) => !!s && typeof s === "object" && (s as { name?: unknown }).name === NOT_EMULATED_WORKER));
}

/** The stand-in worker's Miniflare options (it serves no route). */
export function notEmulatedWorker(): Record<string, unknown> {
  return { name: NOT_EMULATED_WORKER, modules: true, script: SCRIPT, compatibilityDate: "2025-01-01" };
}
