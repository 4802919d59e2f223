/**
 * Which files of a D1 migrations folder are migrations, and their order: exactly as the pinned
 * wrangler (4.156) lists them for `wrangler d1 migrations apply` (workers-sdk
 * packages/workers-utils/src/d1-migrations.ts: getD1MigrationFiles, compareMigrationPaths):
 *
 * - every regular file matching `*.sql` (minimatch with `dot: false`: not a dot file), whatever the
 *   rest of its name — `0001_init.sql`, `039b_fix.sql`, `seed.sql`;
 * - ordered by the number `parseInt` reads before the first `_` (`039b_fix.sql` is 39), files
 *   without a number after those with one, and equal numbers by name (JavaScript string order).
 *
 * The history table keys on the file name, so a renamed file is applied again: names are taken
 * as they are, never normalised. The validator, the local runner's in-process migrator and the
 * migrations hash all use this; components/d1-migrate.js runs wrangler itself.
 */

/** True for a file name wrangler applies as a migration. */
export function isMigrationFile(name: string): boolean {
  return name.endsWith(".sql") && !name.startsWith(".");
}

/** The number wrangler orders a migration by (NaN when its name has none). */
export function migrationNumber(name: string): number {
  return parseInt(name.split("_")[0]!, 10);
}

/** wrangler's order of two migration file names. */
export function compareMigrationFiles(a: string, b: string): number {
  const an = migrationNumber(a);
  const bn = migrationNumber(b);
  if (an !== bn) {
    if (Number.isFinite(an) && Number.isFinite(bn)) return an - bn;
    if (Number.isFinite(an)) return -1;
    if (Number.isFinite(bn)) return 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
