/**
 * How every npm-run script ends: the exit code its main() returns (0 when it returns nothing),
 * or, when it throws, the error's message and its `exitCode` (1 when it has none). Exiting
 * explicitly also ends the mock runtime's and workerd's open handles; it waits for stdout and
 * stderr to drain first (writes to a pipe are asynchronous, and a report must not be cut short).
 */
export function runMain(main: () => Promise<number | void>, onError?: (e: unknown) => number | undefined): void {
  main().then(
    (code) => exitAfterFlush(code ?? 0),
    (e: unknown) => {
      const handled = onError?.(e);
      if (handled !== undefined) return exitAfterFlush(handled);
      console.error(e instanceof Error ? e.message : String(e));
      const code = (e as { exitCode?: unknown } | null)?.exitCode;
      exitAfterFlush(typeof code === "number" ? code : 1);
    },
  );
}

function exitAfterFlush(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}
