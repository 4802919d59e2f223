/** Binding kind: `{ queue: <key> }`: a producer binding to a queue of this system. */
import { logicalKey } from "../fields";
import { type BindingKind, str } from "./contract";

/** A planned queue binding. */
export type QueueBinding = { name: string; type: "queue"; queue: string };

export const queueKind: BindingKind<QueueBinding> = {
  type: "queue",
  envType: () => "Queue",
  reported: "queue",
  /** A queue of this system, by logical key (a producer binding). */
  config: { target: "queue", refers: { collection: "queues", what: "queue" }, shape: { queue: logicalKey.optional() } },
  plan: (name, d) => ({ name, type: "queue", queue: d.queue as string }),
  provider: (p, r) => ({ name: p.name, type: p.type, queueName: r.queueName(p.queue) }),
  miniflare: (b, m) => void (m.queueProducers[b.name] = b.queueName),
  wrangler: (b, w) => void (w.config.queues = { ...w.config.queues, producers: [...(w.config.queues?.producers ?? []), { binding: b.name, queue: b.queueName }] }),
  graph: (b, g) => g.edge(g.queue(str(b.queueName)), `${b.name} (send)`),
};
