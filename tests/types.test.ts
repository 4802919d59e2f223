/**
 * `npm run types`: every worker's generated `Env` and `/health` table come from the declaration,
 * and the committed files are what the declaration generates now.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { generateEnvFiles } from "../config/envTypes";
import { systemSchema, type SystemConfig } from "../config/schema";
import { repositoryProjects, staleFiles } from "../scripts/types";
import { ROOT } from "./helpers";

const system = (bindings: Record<string, unknown>, vars: Record<string, unknown> = {}): SystemConfig =>
  systemSchema.parse({
    app: "t",
    zone: "example.com",
    compatibilityDate: "2025-09-01",
    databases: { main: {} },
    queues: { jobs: {} },
    secrets: { TOKEN: { from: "config" } },
    workers: { one: { entry: "workers/one/index.ts", vars, secrets: ["TOKEN"], bindings }, two: { entry: "workers/two/index.ts", durableObjects: { Room: {} }, durableObjectMigrations: [{ tag: "v1", newSqliteClasses: ["Room"] }] } },
  });

describe("generated worker types (npm run types)", () => {
  it("every committed env.generated.ts of this repository and its examples is what the declaration generates", () => {
    const stale = repositoryProjects().flatMap((root) => staleFiles(root)).map((f) => path.relative(ROOT, f));
    assert.deepEqual(stale, [], `stale generated files (run \`npm run types\`): ${stale.join(", ")}`);
  });

  it("types each binding by its kind, adds ENVIRONMENT and VERSION, and lists what /health checks", () => {
    const [one] = generateEnvFiles("Pulumi.yaml", {
      staging: system({ DB: { d1: "main" }, JOBS: { queue: "jobs" }, ROOM: { durableObject: "Room", worker: "two" } }, { MODE: "x", LIMITS: { max: 3, tags: ["a"] } }),
    });
    assert.equal(one!.file, "workers/one/env.generated.ts");
    for (const line of ["  ENVIRONMENT: string;", "  VERSION: string;", "  DB: D1Database;", "  JOBS: Queue;", "  ROOM: DurableObjectNamespace;", "  TOKEN: string;", "  MODE: string;", "  LIMITS: { max: number; tags: string[] };"])
      assert.ok(one!.text.includes(line), `missing ${line} in:\n${one!.text}`);
    for (const line of ['  DB: "d1",', '  JOBS: "queue",', '  ROOM: "do",', '  TOKEN: "secret",', '  MODE: "var",', '  LIMITS: "json",']) assert.ok(one!.text.includes(line), `missing ${line}`);
    assert.ok(!/ENVIRONMENT: "/.test(one!.text), "the injected names are not in the /health table");
  });

  it("a binding some stacks lack is optional and says where it is; a removed one is gone", () => {
    const [one] = generateEnvFiles("Pulumi.yaml", { production: system({}), staging: system({ DB: { d1: "main" } }) });
    assert.ok(one!.text.includes("  DB?: D1Database; // only on staging"), one!.text);
    const [none] = generateEnvFiles("Pulumi.yaml", { production: system({}), staging: system({}) });
    assert.ok(!none!.text.includes("DB"), none!.text);
  });

  it("refuses a binding of one kind on one stack and another kind on another", () => {
    assert.throws(() => generateEnvFiles("Pulumi.yaml", { production: system({ X: { d1: "main" } }), staging: system({ X: { queue: "jobs" } }) }), /system\.workers\.one: X is a d1 on one stack and a queue on another/);
  });
});
