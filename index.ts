// This repository's own project, written as any user's project is: the package's entry point
// (which checks the Node version first), resolved locally here (a user's index.ts imports it
// from "workers-stack").
import { main } from "./lib";

// Stack outputs: per worker its script name and URLs, database and namespace ids.
export = main();
