/**
 * The one list of every command and event between the UI and the backend.
 * Electron main (ipcMain.handle), the browser host (WebSocket) and the renderer's
 * clients are all derived from it, so a command without a schema or a handler is a
 * compile error rather than a runtime surprise.
 */
import { z } from 'zod';
import { AppInfoSchema, DimValuesSchema, ModelSourceSchema, RecentModelSchema } from '../domain/app';
import { ErrorInfoSchema } from './error';
import { HardwareProfileSchema, ProviderStatusSchema } from '../domain/hardware';
import { ModelInfoSchema } from '../domain/model';
import { InputValuesSchema } from '../domain/input-values';
import { UpgradeReportSchema } from '../domain/upgrade';
import {
  ConvertedModelSchema,
  ConvertInstructionsSchema,
  ConvertProgressSchema,
  ConvertRequestSchema,
  InputSpecSchema,
  ModelCodeSchema,
  PythonEnvSchema,
  SourceIdentitySchema,
} from '../domain/convert';
import { SampleInfoSchema } from '../domain/sample';
import { AddMachineRequestSchema, MachineSchema, MachineStatusSchema } from '../domain/machine';
import { BenchPlanSchema } from '../domain/plan';
import { ComparisonSchema, RequirementSchema, VerdictSchema } from '../domain/advice';
import { ModeAvailabilitySchema, QuantizeProgressSchema, QuantizeRequestSchema, VariantSchema } from '../domain/variant';
import { BenchProgressEventSchema, ConfigResultSchema, RunDocumentSchema, RunStatusSchema, RunSummarySchema } from '../domain/run';
import { ConfigChartsSchema } from '../domain/config-charts';
import type { ErrorInfo } from '../errors';
import type { COMMAND_NAME_LIST, EVENT_NAME_LIST } from './names';

interface CommandSpec {
  request: z.ZodType;
  response: z.ZodType;
}

const empty = z.object({}).strict();
/** A saved machine's id or name (`machines.list`); 'local' is this machine. */
const MachineIdSchema = z.string().min(1).max(100);

export const commands = {
  'app.info': { request: empty, response: AppInfoSchema },
  'hardware.detect': {
    request: z.object({ refresh: z.boolean().optional() }).strict(),
    response: HardwareProfileSchema,
  },
  'samples.list': { request: empty, response: z.array(SampleInfoSchema) },
  /**
   * Explains a model at the dims given on top of its saved input profile. With `saveProfile`, the
   * given dims and values become the model's profile (replacing it), which bench and quantize use too.
   */
  'model.inspect': {
    request: z
      .object({
        source: ModelSourceSchema,
        dims: DimValuesSchema.optional(),
        values: InputValuesSchema.optional(),
        saveProfile: z.boolean().optional(),
      })
      .strict(),
    response: ModelInfoSchema,
  },
  /**
   * The person is done with a model. A model uploaded to the browser host is removed from the host
   * (and from Recent) then: uploads are not kept past their use.
   */
  'model.close': { request: z.object({ source: ModelSourceSchema }).strict(), response: z.object({ removed: z.boolean() }) },
  /**
   * Upgrades a legacy model (IR < 4 or opset < 13) to IR 8 / opset 13 into the data folder, verified
   * against the original on inputs sized by its input profile; the result opens like any model.
   */
  'model.upgrade': {
    request: z.object({ source: ModelSourceSchema, dims: DimValuesSchema.optional(), values: InputValuesSchema.optional() }).strict(),
    response: z.object({
      /** The upgraded model on the host (inside the data folder). */
      path: z.string(),
      fileName: z.string(),
      /** Downloads it from the browser host: /api/upgraded/<id>/model. */
      id: z.string(),
      sizeBytes: z.number().int().nonnegative(),
      report: UpgradeReportSchema,
    }),
  },
  /**
   * What a model file or folder is, found from its content without running it: ONNX, or a PyTorch /
   * TensorFlow file to convert (with what converting it needs and a cached conversion, if any).
   */
  'convert.identify': { request: z.object({ path: z.string().min(1) }).strict(), response: SourceIdentitySchema },
  /** The Pythons found (a chosen interpreter first, then an active virtualenv/conda, then PATH) and their packages. */
  'convert.pythons': {
    request: z.object({ python: z.string().optional(), refresh: z.boolean().optional() }).strict(),
    response: z.array(PythonEnvSchema),
  },
  /** The commands to install what converting needs and a script converting it by hand (copyable). */
  'convert.instructions': {
    request: z
      .object({
        path: z.string().min(1),
        python: z.string().optional(),
        inputs: z.array(InputSpecSchema).default([]),
        modelCode: ModelCodeSchema.optional(),
      })
      .strict(),
    response: ConvertInstructionsSchema,
  },
  /**
   * Converts to ONNX with the user's Python in a child process (progress as 'convert.progress'), then
   * checks the ONNX model in onnxruntime against the original on the same seeded inputs; refused
   * (CONVERT_MISMATCH, with the figures) when they disagree. The result opens like any model.
   */
  'convert.run': { request: z.object({ request: ConvertRequestSchema }).strict(), response: ConvertedModelSchema },
  'convert.cancel': { request: z.object({ jobId: z.string() }).strict(), response: z.object({ cancelled: z.boolean() }) },
  /** Models converted on this machine, newest first, each with its source. */
  'convert.list': { request: empty, response: z.array(ConvertedModelSchema) },
  'recent.list': { request: empty, response: z.array(RecentModelSchema) },
  'recent.remove': { request: z.object({ path: z.string() }).strict(), response: z.array(RecentModelSchema) },
  /**
   * Ask the host to let the user pick a model file. The desktop app shows a native dialog;
   * the browser host answers NOT_SUPPORTED (the page uploads the file instead).
   */
  'dialog.openModel': { request: empty, response: z.object({ path: z.string() }).nullable() },

  /**
   * Starts measuring a plan; answers with the run's first document while the worker measures. With `machine`, the
   * plan runs on that saved machine (its events arrive here under the same run id, and the run is saved here with
   * the machine); the same plan on several machines is one call per machine.
   */
  'bench.start': {
    request: z.object({ plan: BenchPlanSchema, machine: MachineIdSchema.optional() }).strict(),
    response: RunDocumentSchema,
  },
  'bench.cancel': { request: z.object({ runId: z.string() }).strict(), response: z.object({ cancelled: z.boolean() }) },
  /** Runs this host is measuring right now (a reloaded page picks its run up again). */
  'bench.active': { request: empty, response: z.array(z.string()) },
  'runs.list': { request: empty, response: z.array(RunSummarySchema) },
  /**
   * A saved run. `samples: false` leaves every configuration's samples out (`samples` empty): a page
   * that followed the run has their charts from its events, and a whole run's samples are megabytes.
   */
  'runs.get': { request: z.object({ id: z.string(), samples: z.boolean().optional() }).strict(), response: RunDocumentSchema },
  'runs.delete': { request: z.object({ id: z.string() }).strict(), response: z.array(RunSummarySchema) },
  /** Adds a run document exported elsewhere (another machine, the CLI's --json). */
  'runs.import': {
    request: z.object({ fileName: z.string(), text: z.string().max(512 * 1024 * 1024) }).strict(),
    response: RunSummarySchema,
  },
  /** The Perfetto / chrome://tracing trace of one configuration's profiled pass. */
  'runs.trace': {
    request: z.object({ id: z.string(), configId: z.string() }).strict(),
    response: z.object({ fileName: z.string(), text: z.string() }),
  },

  /** Which transformations apply to a model, with the reasons and advice for this machine. */
  'quantize.modes': {
    request: z.object({ source: ModelSourceSchema, machine: MachineIdSchema.optional() }).strict(),
    response: z.array(ModeAvailabilitySchema),
  },
  /**
   * Makes a variant (progress as 'quantize.progress' events); answers when it is saved. With `machine`, it is made on
   * that machine and stays there (the answer carries `machine` and the measured comparison).
   */
  'quantize.run': {
    request: z.object({ request: QuantizeRequestSchema, machine: MachineIdSchema.optional() }).strict(),
    response: VariantSchema,
  },
  'quantize.cancel': { request: z.object({ jobId: z.string() }).strict(), response: z.object({ cancelled: z.boolean() }) },
  /** The variants made from a model (by its content), newest first. */
  'variants.list': {
    request: z.object({ source: ModelSourceSchema, machine: MachineIdSchema.optional() }).strict(),
    response: z.array(VariantSchema),
  },
  'variants.delete': { request: z.object({ id: z.string() }).strict(), response: z.object({ deleted: z.boolean() }) },
  /**
   * Saves a copy of a variant's model. The desktop app asks where with a save dialog (no path);
   * the browser host downloads /api/variants/<id>/model instead; the CLI passes a path.
   */
  'variants.export': {
    request: z.object({ id: z.string(), path: z.string().optional() }).strict(),
    response: z.object({ path: z.string() }).nullable(),
  },

  /** Machines plans can run on: this machine first (id 'local'), then the saved `inferscope serve` hosts (docs/machines.md). */
  'machines.list': { request: empty, response: z.array(MachineSchema) },
  /**
   * Saves a machine by the URL `inferscope serve` printed there (reached through an SSH tunnel), once it answers, takes
   * the access token and speaks this app's contract; the same URL again replaces its token.
   */
  'machines.add': { request: AddMachineRequestSchema, response: MachineSchema },
  'machines.remove': { request: z.object({ id: MachineIdSchema }).strict(), response: z.array(MachineSchema) },
  /** Asks a machine what it runs and its hardware (the status is kept with the machine). */
  'machines.check': { request: z.object({ id: MachineIdSchema }).strict(), response: MachineStatusSchema },

  /** The answer: which measured setup meets the requirement most cheaply, and whether that needs a GPU. */
  'advise.verdict': {
    request: z.object({ runIds: z.array(z.string()).min(1), requirement: RequirementSchema }).strict(),
    response: VerdictSchema,
  },
  /** Runs or configurations side by side against the first, with the 95 % CI of each ratio of medians. */
  'advise.compare': {
    request: z.object({ items: z.array(z.object({ runId: z.string(), configId: z.string().optional() })).min(2) }).strict(),
    response: z.array(ComparisonSchema),
  },
  /** The requirement last used (kept in the data folder), or null before the first. */
  'requirement.get': { request: empty, response: RequirementSchema.nullable() },
  'requirement.save': { request: z.object({ requirement: RequirementSchema }).strict(), response: RequirementSchema },
  /**
   * A report of runs as PDF, CSV, JSON or HTML. The desktop app asks where to save it and prints PDFs
   * with its own Chromium (answers savedTo); elsewhere the bytes come back for the page to download.
   */
  'report.export': {
    request: z
      .object({
        runIds: z.array(z.string()).min(1),
        requirement: RequirementSchema.nullable().default(null),
        format: z.enum(['pdf', 'csv', 'json', 'html']),
        paper: z.enum(['a4', 'letter']).default('a4'),
      })
      .strict(),
    response: z
      .object({ fileName: z.string(), mimeType: z.string(), dataBase64: z.string().nullable(), savedTo: z.string().nullable() })
      .nullable(),
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof commands;
export type CommandRequest<C extends CommandName> = z.input<(typeof commands)[C]['request']>;
export type CommandResponse<C extends CommandName> = z.output<(typeof commands)[C]['response']>;

/** Commands whose handling depends on the host (native dialogs, files on the user's side). */
export const HOST_COMMANDS = ['dialog.openModel', 'variants.export', 'report.export'] as const satisfies readonly CommandName[];
export type HostCommandName = (typeof HOST_COMMANDS)[number];
export type CoreCommandName = Exclude<CommandName, HostCommandName>;

export interface CommandContext {
  /** Emits a contract event to the client that sent the command. */
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
}

export type Handler<C extends CommandName> = (
  request: z.output<(typeof commands)[C]['request']>,
  context: CommandContext,
) => Promise<CommandResponse<C>>;

export type Handlers = { [C in CommandName]: Handler<C> };
export type CoreHandlers = { [C in CoreCommandName]: Handler<C> };
export type HostHandlers = { [C in HostCommandName]: Handler<C> };

export const events = {
  /** One execution provider's probe finished (probes run one by one in the worker). */
  'hardware.provider': ProviderStatusSchema,
  'bench.started': z.object({ runId: z.string(), configs: z.number().int() }),
  'bench.progress': BenchProgressEventSchema,
  /**
   * One configuration finished (done, failed, skipped or cancelled): its result without the samples
   * (`samples` empty: the progress events carried them, and the saved run has them all) and the
   * charts drawn from them. Tens of thousands of samples in one event kept the page busy. Hosts
   * from before sent the samples and no charts.
   */
  'bench.config': z.object({ runId: z.string(), config: ConfigResultSchema, charts: ConfigChartsSchema.optional() }),
  /** The run has ended; `error` when it stopped early for a reason of its own (DISK_FULL: it could not be saved). */
  'bench.finished': z.object({ runId: z.string(), status: RunStatusSchema, error: ErrorInfoSchema.optional() }),
  'quantize.progress': QuantizeProgressSchema,
  'convert.progress': ConvertProgressSchema,
} as const satisfies Record<string, z.ZodType>;

export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.hasOwn(commands, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

export const COMMAND_NAMES = Object.keys(commands) as CommandName[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

// Drift between the plain name lists (used by the preload) and the contract is a compile error.
type SameKeys<A extends string, B extends string> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const commandListMatches: SameKeys<(typeof COMMAND_NAME_LIST)[number], CommandName> = true;
const eventListMatches: SameKeys<(typeof EVENT_NAME_LIST)[number], EventName> = true;
void commandListMatches;
void eventListMatches;
