/** Shared test helpers: evaluate the real stack files under mocks with test values for secrets. */
import * as path from "node:path";
import { evaluateStack, Evaluation, isSecretValue, RegisteredResource } from "../harness/evaluate";
import { RESOURCE_TYPE } from "../config/resourceTypes";
import { readProjectName, readStackConfig } from "../harness/pulumiConfig";

export const ROOT = path.resolve(__dirname, "..");

/** Test values for the per-stack keys a real user sets with `pulumi config set`. */
export const TEST_IDS = { accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210" };
/** Sentinels for the config secrets: the audit looks for them outside secrets. */
export const TEST_SECRETS = { OPENAI_API_KEY: "sentinel-openai-7f3a9c", TELEGRAM_BOT_TOKEN: "sentinel-telegram-51d2e8" };

export const TYPES = RESOURCE_TYPE;

export interface EvalOptions {
  /** Replace the shared system declaration (what Pulumi.yaml holds). */
  system?: unknown;
  /** Replace the stack settings (what Pulumi.<stack>.yaml holds). */
  stackSettings?: unknown;
  secrets?: Record<string, string>;
  plain?: Record<string, string>;
  /** Project folder. @default the repository root (the reference stacks) */
  root?: string;
}

export function evaluate(stack: string, o: EvalOptions = {}): Promise<Evaluation> {
  const root = o.root ?? ROOT;
  const project = readProjectName(root);
  const plain: Record<string, string> = { ...TEST_IDS, ...o.plain };
  if (o.system !== undefined) plain[`${project}:system`] = JSON.stringify(o.system);
  if (o.stackSettings !== undefined) plain[`${project}:stack`] = JSON.stringify(o.stackSettings);
  return evaluateStack({ root, stack, secrets: o.secrets ?? TEST_SECRETS, plain });
}

export function ofType(ev: Evaluation, type: string): RegisteredResource[] {
  return ev.resources.filter((r) => r.type === type);
}

export function one(ev: Evaluation, type: string, name: string): RegisteredResource {
  const found = ev.resources.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
  return found[0]!;
}

export { isSecretValue as isSecret, reveal } from "../harness/evaluate";

/** Every string found outside any secret wrapper. */
export function plainStrings(v: unknown, out: string[] = []): string[] {
  if (isSecretValue(v)) return out;
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => plainStrings(x, out));
  else if (typeof v === "object" && v !== null) Object.values(v).forEach((x) => plainStrings(x, out));
  return out;
}

/** Deep copy of a project's shared system declaration (the reference one by default), for tests that vary it. */
export function referenceSystem(root: string = ROOT): any {
  return JSON.parse(readStackConfig(root, "staging").config[`${readProjectName(root)}:system`]!);
}

/** An invalid configuration: a change to the reference system or stack settings, and what the error must say. */
export interface InvalidCase {
  name: string;
  system?: (s: any) => void;
  stackSettings?: unknown;
  plain?: Record<string, string>;
  secrets?: Record<string, string>;
  /** Texts the error must contain. */
  expect: (string | RegExp)[];
}

/** The reference staging stack evaluated with a case's changes. */
export function evaluateCase(c: InvalidCase): Promise<Evaluation> {
  const system = referenceSystem();
  c.system?.(system);
  return evaluate("staging", {
    ...(c.system ? { system } : {}),
    ...(c.stackSettings !== undefined ? { stackSettings: c.stackSettings } : {}),
    ...(c.plain ? { plain: c.plain } : {}),
    ...(c.secrets ? { secrets: c.secrets } : {}),
  });
}
