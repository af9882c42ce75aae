import { z } from 'zod';

export const SampleTensorSchema = z.object({
  name: z.string(),
  type: z.string(),
  shape: z.array(z.union([z.number(), z.string()])),
  valueRange: z.object({ min: z.number(), max: z.number() }).optional(),
  description: z.string(),
});

/** A built-in sample model, as listed before it is generated (see src/core/zoo). */
export const SampleInfoSchema = z.object({
  name: z.string(),
  title: z.string(),
  description: z.string(),
  task: z.string(),
  version: z.number(),
  fileName: z.string(),
  opset: z.number(),
  inputs: z.array(SampleTensorSchema),
  outputs: z.array(SampleTensorSchema),
  referenceDims: z.record(z.string(), z.number()),
  approxParams: z.number(),
  approxMacs: z.number(),
  approxFileBytes: z.number(),
});
export type SampleInfo = z.infer<typeof SampleInfoSchema>;
