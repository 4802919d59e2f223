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
