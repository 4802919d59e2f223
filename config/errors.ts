/** One problem in a stack's configuration: where it is, what is wrong, and how to fix it. */
export interface ConfigIssue {
  /** Dotted path from the config key, e.g. `system.workers.bot.bindings.DB`. */
  path: string;
  message: string;
  /** What to do about it, when there is something better to say than the message. */
  hint?: string;
  /**
   * The file that holds the mistake: `Pulumi.yaml` (the system), `Pulumi.<stack>.yaml` (the
   * stack's settings and overrides), or the stack config set with `pulumi config set`.
   */
  file?: string;
}

/**
 * Every problem found in a stack's configuration, thrown before any resource is registered.
 * The message lists all of them at once, each with its path and a fix.
 */
export class ConfigError extends Error {
  constructor(
    readonly stackName: string,
    readonly issues: ConfigIssue[],
  ) {
    super(formatIssues(stackName, issues));
    this.name = "ConfigError";
  }
}

export function formatIssues(stack: string, issues: ConfigIssue[]): string {
  const n = issues.length;
  const lines = [
    `workers-stack: the configuration of stack "${stack}" has ${n} problem${n === 1 ? "" : "s"}; nothing was created or changed:`,
  ];
  // Grouped by file, and within a file by path, so every problem of one worker comes together.
  const rank = (f: string | undefined) => (f === "Pulumi.yaml" ? 0 : f?.startsWith("Pulumi.") ? 1 : f ? 2 : 3);
  const files = [...new Set(issues.map((i) => i.file))].sort((a, b) => rank(a) - rank(b));
  for (const file of files) {
    if (file !== undefined) lines.push(` in ${file}:`);
    const group = issues.filter((i) => i.file === file).map((issue, order) => ({ issue, order }));
    group.sort((a, b) => owner(a.issue.path).localeCompare(owner(b.issue.path)) || a.order - b.order);
    for (const { issue } of group) {
      lines.push(`  - ${issue.path}: ${issue.message}`);
      if (issue.hint) lines.push(...issue.hint.split("\n").map((l) => `      ${l}`));
    }
  }
  return lines.join("\n");
}

/** What a path belongs to, for grouping: `system.workers.bot.vars.X` → `system.workers.bot`. */
function owner(path: string): string {
  return path.split(".").slice(0, 3).join(".");
}
