/**
 * Runs the program for one stack under Pulumi's mock runtime and records every resource it
 * registers, as the engine would receive it: type, name, inputs (secrets still wrapped), parent,
 * dependencies, protect and import id. The tests assert on this record; the local runner
 * materialises it in workerd.
 */
import * as crypto from "node:crypto";
import type * as Pulumi from "@pulumi/pulumi";
import { RESOURCE_TYPE } from "../config/resourceTypes";
import { readStackConfig, stackConfigOf, type StackFiles } from "./pulumiConfig";

/**
 * @pulumi/pulumi, loaded on first use: importing this module (for `reveal` and the types) costs
 * nothing, so `npm start` can load Miniflare while a worker thread loads Pulumi and evaluates.
 */
function pulumiSdk(): { pulumi: typeof Pulumi; settings: { waitForRPCs(): Promise<void> } } {
  deferClosureSerializerDependencies();
  return {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    pulumi: require("@pulumi/pulumi"),
    // Internal to the SDK, stable for years: used by its own `disconnect()` to drain pending RPCs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    settings: require("@pulumi/pulumi/runtime/settings"),
  };
}

/** The key and value Pulumi uses to mark a secret in serialized inputs. */
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** True for a value Pulumi marked secret (as the engine receives it). */
export function isSecretValue(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** The value with every secret wrapper removed. */
export function reveal(v: unknown): unknown {
  if (isSecretValue(v)) return reveal(v.value);
  if (Array.isArray(v)) return v.map(reveal);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
  return v;
}

/**
 * @pulumi/pulumi loads the TypeScript compiler and @npmcli/arborist when it is imported, for
 * serializing functions (dynamic providers, `runtime.serializeFunction`), which no program run
 * under mocks here does: together ~0.3 s of a ~0.45 s import (measured). Those two imports, made
 * from Pulumi's closure code only, get a stand-in that loads the real module the first time
 * anything is read from it — so a program that does serialize a function still works.
 */
function deferClosureSerializerDependencies(): void {
  const Module = require("node:module") as { _load(request: string, parent: { filename?: string } | undefined, isMain: boolean): unknown } & Record<symbol, boolean>;
  const installed = Symbol.for("workers-stack.deferClosureSerializerDependencies");
  if (Module[installed]) return;
  Module[installed] = true;
  const deferred: [string, RegExp][] = [
    ["typescript", /[\\/]@pulumi[\\/]pulumi[\\/]typescript-shim\.js$/],
    ["@npmcli/arborist", /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]closure[\\/]codePaths\.js$/],
  ];
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    if (!deferred.some(([name, from]) => name === request && from.test(parent?.filename ?? ""))) return load.call(this, request, parent, isMain);
    let real: object | undefined;
    const get = () => (real ??= load.call(this, request, parent, isMain) as object);
    return new Proxy(
      {},
      {
        // __importStar returns a module marked __esModule as it is: nothing is read until used.
        get: (_t, key) => (key === "__esModule" && real === undefined ? true : Reflect.get(get(), key)),
        has: (_t, key) => Reflect.has(get(), key),
        ownKeys: () => Reflect.ownKeys(get()),
        getOwnPropertyDescriptor: (_t, key) => {
          const d = Reflect.getOwnPropertyDescriptor(get(), key);
          return d && { ...d, configurable: true };
        },
      },
    );
  };
}

export interface RegisteredResource {
  type: string;
  name: string;
  urn: string;
  /** False for ComponentResources. */
  custom: boolean;
  /** Inputs as the engine receives them; a secret is `{ [SECRET_SIG_KEY]: SECRET_SIG, value }`. */
  inputs: Record<string, unknown>;
  parent: string;
  /** URNs this resource waits for (explicit dependsOn plus every resource its inputs come from). */
  dependencies: string[];
  protect: boolean;
  importId: string;
  /** Input properties whose changes the engine ignores after create. */
  ignoreChanges: string[];
  /** The id the mock gave it (deterministic). */
  id: string;
}

export interface Evaluation {
  project: string;
  stack: string;
  resources: RegisteredResource[];
  /** Stack outputs, fully resolved (secrets unwrapped). */
  outputs: unknown;
  /** What the program threw, if it did. */
  error?: Error;
  /**
   * Seconds spent loading @pulumi/pulumi, loading the program's modules (each 0 when they were
   * loaded before) and running the program.
   */
  seconds: { sdk: number; load: number; run: number };
}

export interface EvaluateOptions {
  /** Project root (the folder holding Pulumi.yaml). */
  root: string;
  stack: string;
  /** Values of secret config keys (encrypted ones in the stack file, or set with --secret). */
  secrets?: Record<string, string>;
  /** Plain config keys to add or replace (`pulumi config set`). */
  plain?: Record<string, string>;
  /** The stack files, already parsed by the caller. @default read from `root` */
  files?: StackFiles;
  /** The program to run. @default main() of program.ts */
  program?: () => unknown;
  /**
   * Seed of the values the mock gives generated secrets (RandomPassword results): the same seed
   * gives the same values. @default "workers-stack"
   */
  seed?: string;
}

/** A deterministic id in the format Cloudflare uses for that resource type. */
export function mockId(type: string, name: string, importId?: string): string {
  if (importId) return importId.split("/").pop()!;
  const h = crypto.createHash("sha256").update(`${type}\0${name}`).digest("hex");
  if (type === RESOURCE_TYPE.d1)
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  return h.slice(0, 32);
}

/** A deterministic stand-in for a generated password: letters and digits, `length` long. */
export function mockPassword(seed: string, stack: string, name: string, length: number, keepers: unknown = {}): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  for (let i = 0; out.length < length; i++) {
    // Keepers are part of the seed, as a change of keepers makes the real provider generate anew.
    for (const byte of crypto.createHash("sha256").update(`${seed}\0${stack}\0${name}\0${JSON.stringify(keepers)}\0${i}`).digest()) {
      if (out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean;
  getImportid(): string;
  getIgnorechangesList(): string[];
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void };
}

export async function evaluateStack(opts: EvaluateOptions): Promise<Evaluation> {
  const sdkStarted = process.hrtime.bigint();
  const { pulumi, settings } = pulumiSdk();
  const sdk = Number(process.hrtime.bigint() - sdkStarted) / 1e9;
  // Loaded here, after the SDK: it imports @pulumi/pulumi (see pulumiSdk).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { pendingMigrations, readDoMigrationsCommand } = require("../components/doMigrations") as typeof import("../components/doMigrations");
  const extra = { ...(opts.secrets ? { secrets: opts.secrets } : {}), ...(opts.plain ? { plain: opts.plain } : {}) };
  const files = opts.files ? stackConfigOf(opts.files, extra) : readStackConfig(opts.root, opts.stack, extra);
  const meta = new Map<string, Omit<RegisteredResource, "inputs" | "id">>();
  const inputs = new Map<string, { inputs: Record<string, unknown>; id: string }>();
  const pendingInputs: { type: string; name: string; inputs: Record<string, unknown>; id: string }[] = [];

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const id = mockId(args.type, args.name, args.id);
        pendingInputs.push({ type: args.type, name: args.name, inputs: args.inputs, id });
        const state: Record<string, unknown> = { ...args.inputs, ...(args.custom ? { id } : {}) };
        // Outputs the provider computes that the program reads back.
        if (args.type === RESOURCE_TYPE.queue) state.queueId = id;
        // The Durable Object migrations command, as on a script that does not exist yet: the whole history.
        const doMigrations = args.type === RESOURCE_TYPE.command ? readDoMigrationsCommand(args.inputs) : undefined;
        if (doMigrations) state.stdout = JSON.stringify(pendingMigrations(doMigrations.history, undefined));
        if (args.type === RESOURCE_TYPE.password)
          state.result = mockPassword(opts.seed ?? "workers-stack", opts.stack, args.name, Number(args.inputs.length), args.inputs.keepers);
        return { id, state };
      },
      call(args) {
        return args.inputs;
      },
    },
    files.project,
    opts.stack,
    false,
  );

  // Wrap the mock monitor to see the registration requests themselves (protect, dependencies,
  // parent, import id): what `pulumi up` would send the engine.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: (err: unknown, resp?: { getUrn(): string }) => void): void;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const deps = new Set(req.getDependenciesList());
    req.getPropertydependenciesMap().forEach((v) => v.getUrnsList().forEach((u) => deps.add(u)));
    original(req, (err, resp) => {
      if (resp) {
        const urn = resp.getUrn();
        meta.set(urn, {
          type: req.getType(),
          name: req.getName(),
          urn,
          custom: req.getCustom(),
          parent: req.getParent(),
          dependencies: [...deps].sort(),
          protect: req.getProtect(),
          importId: req.getImportid(),
          ignoreChanges: req.getIgnorechangesList(),
        });
        const p = pendingInputs.find((x) => x.type === req.getType() && x.name === req.getName());
        if (p) {
          pendingInputs.splice(pendingInputs.indexOf(p), 1);
          inputs.set(urn, { inputs: p.inputs, id: p.id });
        }
      }
      cb(err, resp);
    });
  };
  pulumi.runtime.setAllConfig(files.config, files.secretKeys);

  const previousRoot = process.env.WORKERS_STACK_ROOT;
  process.env.WORKERS_STACK_ROOT = opts.root;
  // @pulumi/pulumi captures a stack trace for every resource and every promise it makes (an empty
  // `new Error().stack`, read to find the caller's position); under ts-node each one was
  // source-mapped, over a third of the evaluation time at 300 workers, and even V8's plain
  // formatting of them is ~13% of a small evaluation. The mocks never show those positions: such
  // message-less captures get just their first line while the program runs; an error with a
  // message (anything the program throws) keeps its full stack.
  const errorClass = Error as { prepareStackTrace?: unknown };
  const previousPrepare = errorClass.prepareStackTrace;
  errorClass.prepareStackTrace = (e: Error, frames: NodeJS.CallSite[]) =>
    e.message === "" && e.name === "Error" ? "Error" : `${e.name}${e.message ? `: ${e.message}` : ""}${frames.map((f) => `\n    at ${f}`).join("")}`;
  let outputs: unknown;
  let error: Error | undefined;
  const started = process.hrtime.bigint();
  const seconds = { sdk, load: 0, run: 0 };
  try {
    const loading = process.hrtime.bigint();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = opts.program ?? (require("../program") as typeof import("../program")).main;
    seconds.load = Number(process.hrtime.bigint() - loading) / 1e9;
    const result = pulumi.output(program()) as unknown as Pulumi.Output<unknown>;
    outputs = await new Promise<unknown>((resolve) => result.apply((v) => (resolve(v), v)));
    await settings.waitForRPCs();
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e));
  } finally {
    errorClass.prepareStackTrace = previousPrepare;
    if (previousRoot === undefined) delete process.env.WORKERS_STACK_ROOT;
    else process.env.WORKERS_STACK_ROOT = previousRoot;
  }
  seconds.run = Number(process.hrtime.bigint() - started) / 1e9 - seconds.load;
  const resources = [...meta.values()].map((m) => ({ ...m, ...(inputs.get(m.urn) ?? { inputs: {}, id: "" }) }));
  return { project: files.project, stack: opts.stack, resources, outputs, seconds, ...(error ? { error } : {}) };
}
