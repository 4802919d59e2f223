import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { accountOf } from "./account";
import { statefulOptions } from "./stateful";

export interface QueueArgs {
  /** Cloudflare account id. @default the account of the Stack (or component) it is created under */
  accountId?: string;
  /** Queue name, e.g. `tminus-sync-staging`. */
  name: string;
  /**
   * Id of an existing queue to adopt instead of creating one.
   * @default create a new queue
   */
  importId?: string;
  /** Protect the queue (and its undelivered messages) against deletion. @default false */
  protect?: boolean;
}

/** A Cloudflare Queue. Producers bind it by name; its consumer is declared on the consuming worker. */
export class Queue extends pulumi.ComponentResource {
  readonly queue: cloudflare.Queue;
  /** The queue id (what a consumer is attached to). */
  readonly queueId: pulumi.Output<string>;
  readonly queueName: string;

  constructor(name: string, args: QueueArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workers-stack:index:Queue", name, {}, opts);
    const accountId = accountOf(this, args.accountId, opts, `Queue ${name}`);
    this.queueName = args.name;
    this.queue = new cloudflare.Queue(
      name,
      { accountId, queueName: args.name },
      statefulOptions(this, accountId, args.protect, args.importId),
    );
    this.queueId = this.queue.queueId;
    this.registerOutputs({ queueId: this.queueId, name: args.name });
  }
}
