import { z } from 'zod';

export const HostKindSchema = z.enum(['electron', 'browser', 'cli']);
export type HostKind = z.infer<typeof HostKindSchema>;

export const AppInfoSchema = z.object({
  name: z.literal('Inferscope'),
  version: z.string(),
  host: HostKindSchema,
  /** The contract this host speaks (shared/contract/version.ts): another machine is used only when it reports the same. */
  contractVersion: z.number().int().positive(),
  userDataDir: z.string(),
  versions: z.object({
    node: z.string(),
    onnxruntime: z.string(),
    electron: z.string().nullable(),
    chromium: z.string().nullable(),
  }),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

/** Where a model comes from: a file on the machine that runs the services, or a generated sample. */
export const ModelSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('path'), path: z.string().min(1) }),
  z.object({ kind: z.literal('sample'), name: z.string().min(1) }),
]);
export type ModelSource = z.infer<typeof ModelSourceSchema>;

export const RecentModelSchema = z.object({
  path: z.string(),
  name: z.string(),
  /** Set when the model is one of the generated samples. */
  sample: z.string().nullable(),
  openedAt: z.string(),
  sizeBytes: z.number().nullable(),
});
export type RecentModel = z.infer<typeof RecentModelSchema>;

/** Symbolic dimension values chosen by the user, e.g. {batch: 1, sequence: 128}. */
export const DimValuesSchema = z.record(z.string(), z.number().int().positive());
export type DimValues = z.infer<typeof DimValuesSchema>;
