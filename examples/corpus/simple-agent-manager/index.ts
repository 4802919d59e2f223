import { main } from "workers-stack";

export = main();
