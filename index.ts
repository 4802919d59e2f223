import "./node-version";
import { main } from "./program";

// Stack outputs: per worker its script name and URLs, database and namespace ids.
export = main();
