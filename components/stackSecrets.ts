import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PlannedSecret } from "../config/plan";

export interface StackSecretsArgs {
  /** The secrets of the stack, from the plan. */
  secrets: PlannedSecret[];
}

/**
 * Every secret of a stack, resolved once: `{ from: config }` secrets from `pulumi config set
 * --secret`, generated ones from one @pulumi/random password per stack. Workers get their values
 * from here, so two workers that list the same secret can never disagree. Every value is a
 * Pulumi secret.
 */
export class StackSecrets extends pulumi.ComponentResource {
  /** Secret name → value (always a Pulumi secret). */
  readonly values: Record<string, pulumi.Output<string>> = {};

  constructor(name: string, args: StackSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("workers-stack:index:StackSecrets", name, {}, opts);
    const config = new pulumi.Config();
    for (const secret of args.secrets) {
      if (secret.source === "config") {
        this.values[secret.name] = pulumi.secret(config.requireSecret(secret.name));
      } else {
        // Letters and digits only: the value travels in headers (Telegram's secret_token allows
        // A-Z a-z 0-9 _ -) and URLs. `rotation` is a keeper: bumping it generates a new value.
        const password = new random.RandomPassword(
          secret.name,
          { length: secret.length, special: false, keepers: { rotation: String(secret.rotation) } },
          { parent: this },
        );
        this.values[secret.name] = pulumi.secret(password.result);
      }
    }
    this.registerOutputs({});
  }
}
