// This example is a project like any user's: its index.ts runs the package's entry point. A
// user's imports it from "workers-stack"; here it is resolved from this repository.
import { main } from "../../lib";

export = main();
