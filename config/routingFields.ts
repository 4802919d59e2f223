/** The zod fields of routing (zones, hostnames, routes): shared by config/schema.ts and config/routing.ts. */
import { z } from "zod";
import { DOMAIN, HOST_LABEL } from "./fields";

export const zoneName = z.string().regex(DOMAIN, { error: "must be a domain name such as example.com" });

/** A hostname entry: a DNS label under the main zone (`api`, `@`) or a fully qualified hostname. */
export const hostEntry = z.string().refine((v) => HOST_LABEL.test(v) || DOMAIN.test(v), {
  error: "must be a DNS label such as `bot`, `@` for the zone apex, or a fully qualified hostname under a zone of the system such as api.staging.example.com",
});

/** A zone route: its pattern, and the zone it is created in when not the one its host ends with. */
export const routeEntry = z.union(
  [
    z.string().min(1),
    z.strictObject({
      /** The route pattern, e.g. `shop.example.com/api/*`. */
      pattern: z.string().min(1),
      /** The zone of the route. @default the system zone the pattern's host ends with (the longest) */
      zone: zoneName.optional(),
    }),
  ],
  { error: "must be a route pattern such as shop.example.com/api/*, or { pattern, zone }" },
);

