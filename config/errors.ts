/** One problem in a stack's configuration: where it is, what is wrong, and how to fix it. */
export interface ConfigIssue {
  /** Dotted path from the config key, e.g. `system.workers.bot.bindings.DB`. */
  path: string;
  message: string;
  /** What to do about it, when there is something better to say than the message. */
  hint?: string;
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
  for (const issue of issues) {
    lines.push(`  - ${issue.path}: ${issue.message}`);
    if (issue.hint) lines.push(...issue.hint.split("\n").map((l) => `      ${l}`));
  }
  return lines.join("\n");
}
