/** api: sample worker of the tminus example; /health checks every binding it declares. */
import { DurableObject } from "cloudflare:workers";
import { BINDINGS, type Env } from "./env.generated";
import { sampleWorker } from "../../../../workers/shared/sample";

/** The bindings /health checks: every one the declaration gives this worker (generated). */
const NEEDS = BINDINGS;

/** Durable Object hosted by this worker (SQLite-backed). */
export class UserGraphDO extends DurableObject<Env> {
  override async fetch(): Promise<Response> {
    const n = ((await this.ctx.storage.get<number>("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", n);
    return Response.json({ class: "UserGraphDO", n });
  }
}

/** Durable Object hosted by this worker (SQLite-backed). */
export class AccountDO extends DurableObject<Env> {
  override async fetch(): Promise<Response> {
    const n = ((await this.ctx.storage.get<number>("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", n);
    return Response.json({ class: "AccountDO", n });
  }
}

export default sampleWorker("api", NEEDS);
