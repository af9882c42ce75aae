/**
 * Machines: this one, and other machines running `inferscope serve` that this app measures on
 * (docs/machines.md). A plan runs on one machine at a time; the run is saved here with the
 * machine it was measured on.
 */
import { z } from 'zod';
import { ErrorInfoSchema } from '../contract/error';
import { HostKindSchema } from './app';
import { HardwareProfileSchema } from './hardware';

/** The machine the app itself runs on: implicit, always listed first, never removed. */
export const LOCAL_MACHINE_ID = 'local';
export const LOCAL_MACHINE_NAME = 'this machine';

/**
 * A machine's name as people type it (`bench --on gpu-box`): letters, digits, space, dot, dash and
 * underscore, so a comma-separated list of names stays unambiguous.
 */
export const MachineNameSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, 'a machine name is 1–64 letters, digits, spaces, dots, dashes or underscores');

/** Which machine measured a run or made a variant: saved in the document, so it reads the same a year later. */
export const MachineRefSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** The address the app reached it at, without its access token. */
  url: z.string(),
});
export type MachineRef = z.infer<typeof MachineRefSchema>;

/** Where a machine's access token is kept on this host (docs/machines.md#tokens). */
export const TokenStorageSchema = z.enum([
  /** Encrypted by the operating system's secret storage (the desktop app: Keychain, DPAPI, libsecret). */
  'os',
  /** A file readable by this user only (mode 0600) in the data folder (the CLI). */
  'file',
  /** In memory only: lost when this host stops (the browser host, or a desktop without secret storage). */
  'memory',
  /** The INFERSCOPE_MACHINE_TOKEN_<NAME> environment variable. */
  'environment',
  /** No token is known any more (kept in memory by a host that has restarted): add the machine again. */
  'missing',
]);
export type TokenStorage = z.infer<typeof TokenStorageSchema>;

/** What a check of a machine found: whether it answers, what it runs, and its hardware. */
export const MachineStatusSchema = z.object({
  id: z.string(),
  name: z.string(),
  reachable: z.boolean(),
  /** Its Inferscope version, and the version of the contract it speaks (null: it did not say). */
  appVersion: z.string().nullable(),
  contractVersion: z.number().int().nullable(),
  host: HostKindSchema.nullable(),
  /** Both sides speak the same contract: plans can run there. */
  compatible: z.boolean(),
  /** Why it cannot be used (unreachable, refused the token, another contract), in words; null when it can. */
  reason: z.string().nullable(),
  error: ErrorInfoSchema.nullable(),
  /** Its hardware profile, providers and their readiness as it detected them (the same cards as this machine's). */
  hardware: HardwareProfileSchema.nullable(),
  checkedAt: z.string(),
});
export type MachineStatus = z.infer<typeof MachineStatusSchema>;

export const TransfersSchema = z.object({
  modelsSent: z.number().int().nonnegative(),
  bytesSent: z.number().nonnegative(),
  modelsFound: z.number().int().nonnegative(),
});
export type Transfers = z.infer<typeof TransfersSchema>;
export const NO_TRANSFERS: Transfers = { modelsSent: 0, bytesSent: 0, modelsFound: 0 };

export const MachineSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** null for this machine. */
  url: z.string().nullable(),
  local: z.boolean(),
  addedAt: z.string().nullable(),
  /** null for this machine (it needs none). */
  token: TokenStorageSchema.nullable(),
  /** What the token's storage means for the person ("kept in memory only: add it again after the host restarts"). */
  tokenNote: z.string().nullable(),
  /** The last check, kept with the machine (null before the first). */
  status: MachineStatusSchema.nullable(),
  /** What this app has sent it: models (each once, by content) and their bytes, and models it already had. */
  transfers: TransfersSchema,
});
export type Machine = z.infer<typeof MachineSchema>;

export const AddMachineRequestSchema = z
  .object({
    /** The URL `inferscope serve` printed (http://127.0.0.1:5179/?token=…), reached through an SSH tunnel. */
    url: z.string().min(1).max(2048),
    name: MachineNameSchema.optional(),
    /** The access token, when the URL does not carry it. */
    token: z.string().min(1).max(512).optional(),
  })
  .strict();
export type AddMachineRequest = z.infer<typeof AddMachineRequestSchema>;

/** The id a name gets: lower case, spaces as dashes ("GPU box" → "gpu-box"). */
export function machineId(name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, '-');
}

/** "gpu-box" for a remote run, "this machine" otherwise. */
export function machineLabel(machine: MachineRef | null | undefined): string {
  return machine ? machine.name : LOCAL_MACHINE_NAME;
}
