/**
 * No tracked source file is over 400 lines: a file that grows past it is split by concern. Generated
 * files (`*.generated.ts`) and copied corpora (test fixtures, `examples/corpus/`) are not source.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./helpers";

const MAX_LINES = 400;
const SOURCE = /\.(ts|js|mjs|cjs)$/;
const NOT_SOURCE = [/\.generated\.ts$/, /(^|\/)fixtures\//, /^examples\/corpus\//];

/** The tracked source files (and those added but not yet committed), relative to the root. */
function trackedSources(): string[] {
  const out = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
  return out.split("\n").filter((f) => SOURCE.test(f) && !NOT_SOURCE.some((re) => re.test(f)) && fs.existsSync(path.join(ROOT, f)));
}

/** Lines as `wc -l` counts them. */
const lines = (file: string) => (fs.readFileSync(path.join(ROOT, file), "utf8").match(/\n/g) ?? []).length;

describe("source file size", () => {
  it(`keeps every tracked source file at ${MAX_LINES} lines or fewer`, () => {
    const files = trackedSources();
    assert.ok(files.includes("config/bindingKinds.ts") && files.includes("tests/fileSize.test.ts"), "git ls-files lists the sources");
    const over = files.map((f) => ({ f, n: lines(f) })).filter(({ n }) => n > MAX_LINES);
    assert.deepEqual(over.map(({ f, n }) => `${f}: ${n} lines`), [], `split these by concern (at most ${MAX_LINES} lines per source file)`);
  });

  it("counts what it should: a generated file or a fixture is not source, a long source file is", () => {
    assert.ok(NOT_SOURCE.some((re) => re.test("workers/bot/env.generated.ts")));
    assert.ok(NOT_SOURCE.some((re) => re.test("tests/fixtures/wrangler/x/index.js")));
    assert.ok(NOT_SOURCE.some((re) => re.test("examples/corpus/a/src/index.ts")));
    assert.ok(!NOT_SOURCE.some((re) => re.test("config/bindingKinds.ts")));
    const wc = execFileSync("wc", ["-l", "tests/fileSize.test.ts"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(lines("tests/fileSize.test.ts"), Number(wc.trim().split(/\s+/)[0]));
  });
});
