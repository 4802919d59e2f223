/**
 * The field schemas of the binding kinds that name something outside the system (a dataset, an
 * index, a rate-limit namespace, e-mail addresses, a certificate), with the rule each follows and
 * where that rule comes from. A value Cloudflare or wrangler would refuse is refused here, with
 * the rule in the message.
 */
import { z } from "zod";

/**
 * Analytics Engine dataset: created on first write, so the name is all there is. Cloudflare
 * documents no character rule; the dataset is what the SQL API queries (`FROM <dataset>`), and
 * the names real systems use are letters, digits, `_` and `-` (`sam_analytics`,
 * `mcp-metrics-staging`). Anything else (spaces, dots, quotes) is refused here rather than
 * accepted by the upload and unqueryable afterwards. At most 64 characters, like Vectorize's.
 */
export const DATASET = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
export const dataset = z.string().regex(DATASET, {
  error: "must be an Analytics Engine dataset name: a letter, then letters, digits, '_' or '-' (at most 64), e.g. api_events",
});

/**
 * Vectorize index name: https://developers.cloudflare.com/vectorize/platform/limits/ — "Maximum
 * index name length: 64 bytes"; the API's `vectorize_index-name` pattern (and
 * terraform-provider-cloudflare's vectorize index validator) is `^([a-z]+[a-z0-9_-]*[a-z0-9]+)$`:
 * a lowercase letter first, a letter or digit last, lowercase letters, digits, '-' and '_' between.
 * The provider has no Vectorize index resource: the index is bound by name and created with
 * `wrangler vectorize create` (its dimensions and metric are fixed at creation).
 */
export const VECTORIZE_INDEX = /^[a-z][a-z0-9_-]{0,62}[a-z0-9]$/;
export const vectorizeIndex = z.string().regex(VECTORIZE_INDEX, {
  error: "must be a Vectorize index name: a lowercase letter, then lowercase letters, digits, '-' or '_', ending with a letter or digit (2 to 64), e.g. docs-index",
});

/**
 * Rate limiting (`ratelimit`): https://developers.cloudflare.com/workers/runtime-apis/bindings/rate-limit/
 * — `namespace_id` is "a positive integer, as a string, unique to your Cloudflare account";
 * `period` is 10 or 60 seconds (wrangler: `"simple.period" must be either 10 or 60`); `limit` is
 * the number of requests allowed per period.
 */
export const rateLimit = z.strictObject({
  /** The rate-limit namespace: a positive integer (as a string) unique in the account, e.g. "1001". */
  namespaceId: z.string().regex(/^[1-9][0-9]{0,18}$/, { error: 'must be a positive integer as a string, e.g. "1001" (unique in the account)' }),
  /** Requests allowed per period, per key. */
  limit: z.number({ error: "must be a number of requests, e.g. 100" }).int({ error: "must be a whole number of requests" }).positive({ error: "must be at least 1" }),
  /** The period in seconds: 10 or 60. */
  period: z.union([z.literal(10), z.literal(60)], { error: "must be 10 or 60 (seconds): Cloudflare's rate limits count over 10 s or 60 s" }),
});

/** An e-mail address (the local part and a domain), as Email Routing's destination addresses. */
const EMAIL = /^[^\s@<>()",;:]+@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const email = z.string().regex(EMAIL, { error: "must be an e-mail address such as alerts@example.com" });

/**
 * send_email: https://developers.cloudflare.com/email-routing/email-workers/send-email-workers/
 * — with no restriction the binding may send to any verified destination address; wrangler
 * refuses `destination_address` together with `allowed_destination_addresses`.
 */
export const sendEmail = z
  .strictObject({
    /** The only address it may send to. @default any verified destination address */
    destinationAddress: email.optional(),
    /** The addresses it may send to (instead of `destinationAddress`). @default any verified destination address */
    allowedDestinationAddresses: z.array(email).min(1).optional(),
    /** The sender addresses it may use. @default any address of the zone */
    allowedSenderAddresses: z.array(email).min(1).optional(),
  })
  .refine((s) => s.destinationAddress === undefined || s.allowedDestinationAddresses === undefined, {
    error: "give destinationAddress (one address) or allowedDestinationAddresses (a list), not both (wrangler refuses both)",
  });

/** mTLS certificate id: the id of a certificate uploaded with `wrangler mtls-certificate upload` (a UUID). */
export const certificateId = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, {
  error: "must be the certificate's id (a UUID, from `wrangler mtls-certificate list`)",
});

/** Workers for Platforms dispatch namespace name (as `wrangler dispatch-namespace create` takes it). */
export const dispatchNamespace = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, {
  error: "must be a dispatch namespace name: lowercase letters, digits, '_' and '-' (at most 63)",
});

/** An AI Search or Artifacts namespace name (`default`, `dev-stack`): lowercase letters, digits, '_' and '-'. */
export const namespaceName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, {
  error: "must be a namespace name: lowercase letters, digits, '_' and '-' (at most 64), e.g. default",
});
