/** The naming rules: every physical name and hostname is derived, never typed twice. */

/** `<app>-<key><suffix>`: the name of a script, database, namespace, queue, bucket or workflow. */
export function physicalName(app: string, key: string, suffix: string): string {
  return `${app}-${key}${suffix}`;
}

/**
 * The hostname of a label under the zone: `bot` → `bot<suffix>.<zone>`; `@` (the apex) → the
 * zone itself, or `<suffix without its dash>.<zone>` on a suffixed stack (`staging.example.com`).
 */
export function hostFor(label: string, suffix: string, zone: string): string {
  if (label === "@") return suffix ? `${suffix.replace(/^-/, "")}.${zone}` : zone;
  return `${label}${suffix}.${zone}`;
}

/**
 * A stack name as this program accepts it: letters, digits, `-`, `_` and `.`, not starting with
 * `.` (so never `.`, `..` or a path). It names files (`Pulumi.<stack>.yaml`) and folders
 * (`.workers-stack/local/<stack>`), so it is checked wherever one is taken from a user.
 */
export const STACK_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$/;

/** Throws when `stack` is not a stack name (see STACK_NAME), saying what is allowed. */
export function checkStackName(stack: string): string {
  if (!STACK_NAME.test(stack))
    throw Object.assign(
      new Error(`"${stack}" is not a stack name: use letters, digits, '-', '_' and '.' (not first), at most 100 characters, e.g. --stack staging`),
      { exitCode: 2 },
    );
  return stack;
}
