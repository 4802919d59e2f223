/**
 * The imported declaration checked by the program's own validator, stack by stack, before it is
 * written: whatever workers-stack would refuse (a limit wrangler does not check, a name rule, a
 * var it takes for a credential) is reported as a line naming the stack and the path, so the
 * first `pulumi preview` holds no surprise. The per-stack values a user sets with `pulumi config
 * set` (account and zone ids, secret values) are given stand-ins here.
 */
import { ConfigError } from "../../config/errors";
import { fileFacts } from "../../config/load";
import { validate } from "../../config/validate";
import type { Line, Obj } from "./model";

/** Problems that only the user's per-stack config settles (ids, secret values). */
const SETTLED_BY_USER = /^(accountId|zoneId|secrets|workers-stack:|stack\.zoneIds)/;

export function checkImported(o: { app: string; out: string; stacks: string[]; system: Obj; stackSettings: Record<string, Obj>; skip?: RegExp }): Line[] {
  const facts = fileFacts(o.out);
  /** Each problem once, with the stacks it is found on. */
  const found = new Map<string, { key: string; why: string; stacks: string[] }>();
  for (const stack of o.stacks) {
    try {
      validate(
        {
          project: o.app,
          stack,
          system: o.system,
          stackSettings: o.stackSettings[stack],
          accountId: "0123456789abcdef0123456789abcdef",
          zoneId: "fedcba9876543210fedcba9876543210",
          lookup: () => ({ value: "imported-secret-stand-in-1", secret: true }),
        },
        facts,
      );
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      for (const issue of e.issues) {
        if (SETTLED_BY_USER.test(issue.path) || o.skip?.test(issue.message)) continue;
        const why = `${issue.message}${issue.hint ? ` (${issue.hint.split("\n")[0]})` : ""}`;
        const k = `${issue.path}\0${why}`;
        const f = found.get(k) ?? { key: issue.path, why, stacks: [] };
        f.stacks.push(stack);
        found.set(k, f);
      }
    }
  }
  return [...found.values()].map((f) => ({ level: "untranslated", file: "", stacks: f.stacks, key: f.key, why: `workers-stack refuses it (stack ${f.stacks.join(", ")}): ${f.why}` }));
}
