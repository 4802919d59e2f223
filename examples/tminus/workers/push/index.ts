/** push: sample worker of the tminus example; /health checks every binding it declares. */
import { BINDINGS } from "./env.generated";
import { sampleWorker } from "../../../../workers/shared/sample";

/** The bindings /health checks: every one the declaration gives this worker (generated). */
const NEEDS = BINDINGS;

export default sampleWorker("push", NEEDS);
