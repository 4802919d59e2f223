/** Binding kind: `{ sendEmail: { ... } }`: sending e-mail through Email Routing, with its destination and sender rules. */
import { z } from "zod";
import { sendEmail } from "../bindingFields";
import type { RegisteredBinding } from "../resourceTypes";
import { type BindingKind, str } from "./contract";

/** A planned send_email binding. */
export type SendEmailBinding = { name: string; type: "send_email"; destinationAddress?: string; allowedDestinationAddresses?: string[]; allowedSenderAddresses?: string[] };

export const sendEmailKind: BindingKind<SendEmailBinding> = {
  type: "send_email",
  envType: () => "SendEmail",
  reported: "email",
  /** Sending e-mail (Email Routing), with its destination and sender rules. */
  config: { target: "sendEmail", shape: { sendEmail: sendEmail.optional() } },
  plan: (name, d) => {
    const e = d.sendEmail as z.infer<typeof sendEmail>;
    return {
      name,
      type: "send_email",
      ...(e.destinationAddress !== undefined ? { destinationAddress: e.destinationAddress } : {}),
      ...(e.allowedDestinationAddresses !== undefined ? { allowedDestinationAddresses: e.allowedDestinationAddresses } : {}),
      ...(e.allowedSenderAddresses !== undefined ? { allowedSenderAddresses: e.allowedSenderAddresses } : {}),
    };
  },
  provider: (p) => ({ ...p }),
  // Miniflare's send_email: checks the rules and writes each message to a file it names in its log.
  miniflare: (b, m) => {
    const email = (m.options.email ?? { send_email: [] }) as { send_email: Record<string, unknown>[] };
    email.send_email.push({ name: b.name, ...emailRules(b) });
    m.options.email = email;
  },
  wrangler: (b, w) => w.push("send_email", { name: b.name, ...emailRules(b) }),
  graph: (b, g) => {
    const to = b.destinationAddress ? str(b.destinationAddress) : Array.isArray(b.allowedDestinationAddresses) ? b.allowedDestinationAddresses.join(", ") : "any verified address";
    g.edge(g.other("email", to, `e-mail to ${to}`), b.name);
  },
};

/** The destination and sender rules of a registered send_email binding, in wrangler's (and Miniflare's) keys. */
function emailRules(b: RegisteredBinding): Record<string, unknown> {
  return {
    ...(b.destinationAddress !== undefined ? { destination_address: b.destinationAddress } : {}),
    ...(b.allowedDestinationAddresses !== undefined ? { allowed_destination_addresses: b.allowedDestinationAddresses } : {}),
    ...(b.allowedSenderAddresses !== undefined ? { allowed_sender_addresses: b.allowedSenderAddresses } : {}),
  };
}
