/**
 * Bringing a model as it was trained: what a PyTorch / TensorFlow file is (found from its content,
 * never by running it), which Python can convert it, and the converted ONNX model with the check
 * that it computes what the original computes (both run on the same seeded inputs).
 */
import { z } from 'zod';

export const SourceFormatSchema = z.enum([
  'onnx',
  /** torch.jit.save: a ZIP with code/ and constants.pkl; loads without unpickling Python objects. */
  'torchscript',
  /** torch.save(model): a pickle of the whole nn.Module; loading it runs code the file names. */
  'torch-module',
  /** torch.save(model.state_dict()): weights only; needs the model's Python class. */
  'torch-state-dict',
  /** A pickle that is neither clearly a module nor a state_dict (a training checkpoint dict, …). */
  'torch-pickle',
  /** Keras HDF5 (.h5). */
  'keras-h5',
  /** Keras v3 (.keras: a ZIP with config.json and model.weights.h5). */
  'keras-v3',
  /** A TensorFlow SavedModel folder (saved_model.pb, variables/). */
  'tf-savedmodel',
  /** A TensorFlow Lite flatbuffer (TFL3). */
  'tflite',
  'unknown',
]);
export type SourceFormat = z.infer<typeof SourceFormatSchema>;

export const FrameworkSchema = z.enum(['pytorch', 'tensorflow']);
export type Framework = z.infer<typeof FrameworkSchema>;

/** A dim as the user gives it: a number, or a name for an axis to keep dynamic ("batch", "sequence"). */
export const ShapeDimSchema = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_.]*$/)
    .max(64),
]);
export type ShapeDim = z.infer<typeof ShapeDimSchema>;

export const InputSpecSchema = z.object({
  name: z.string().min(1).max(256),
  /** Named dims are exported dynamic; the verification feeds them `exampleSizes[name]` (default 1, or 8 for a sequence-like name). */
  shape: z.array(ShapeDimSchema).max(16),
  dtype: z.enum(['float32', 'float16', 'float64', 'int64', 'int32', 'bool', 'uint8', 'int8']).default('float32'),
});
export type InputSpec = z.infer<typeof InputSpecSchema>;

/** For a state_dict: where the model's class is. */
export const ModelCodeSchema = z.union([
  z.object({
    kind: z.literal('class'),
    /** A .py file, or a module importable by the chosen Python ("mypkg.models"). */
    module: z.string().min(1).max(4096),
    className: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
    /** Keyword arguments for the constructor, as JSON. */
    kwargsJson: z
      .string()
      .max(64 * 1024)
      .default('{}'),
  }),
  /** A .py file defining `make_model()` that returns the model (weights loaded or not). */
  z.object({ kind: z.literal('factory'), script: z.string().min(1).max(4096) }),
]);
export type ModelCode = z.infer<typeof ModelCodeSchema>;

export const PythonEnvSchema = z.object({
  /** The interpreter (absolute path). */
  path: z.string(),
  /** How it was found. */
  origin: z.enum(['chosen', 'virtualenv', 'conda', 'path']),
  /** "3.11.2"; null when it would not start. */
  version: z.string().nullable(),
  /** Package → installed version, null when missing: torch, onnx, tensorflow, tf2onnx. */
  packages: z.record(z.string(), z.string().nullable()),
  /** The newest opset each exporter of this Python writes (null: exporter missing). */
  exporterMaxOpset: z.object({ torch: z.number().int().nullable(), tf2onnx: z.number().int().nullable() }),
  /** Why it cannot be used, in words; null when it runs. */
  error: z.string().nullable(),
});
export type PythonEnv = z.infer<typeof PythonEnvSchema>;

/** Per output: the original (framework) against the converted (onnxruntime) on the same inputs. */
export const OutputAgreementSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int()),
  maxAbsDiff: z.number().nonnegative(),
  /** max |original|, the scale max |Δ| is judged against. */
  maxAbsOriginal: z.number().nonnegative(),
  /** Cosine similarity of the flattened outputs (1 for two all-zero outputs). */
  cosine: z.number(),
  ok: z.boolean(),
});
export type OutputAgreement = z.infer<typeof OutputAgreementSchema>;

/** The tolerance a conversion must meet: max |Δ| ≤ abs + rel × max |original| and cosine ≥ minCosine, per output. */
export const CONVERT_TOLERANCE = { abs: 1e-4, rel: 1e-3, minCosine: 0.9999 } as const;

export const ConversionCheckSchema = z.object({
  /** The inputs both ran on: seeded uniform [0, 1) floats / small integers, at these shapes. */
  inputs: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()), dtype: z.string() })),
  seed: z.number().int(),
  /** Input sets (the second with other sizes for dynamic dims, when there are any). */
  samples: z.number().int().positive(),
  outputs: z.array(OutputAgreementSchema),
  maxAbsDiff: z.number().nonnegative(),
  minCosine: z.number(),
  tolerance: z.object({ abs: z.number(), rel: z.number(), minCosine: z.number() }),
  passed: z.boolean(),
  /** Where the converted model ran: "onnxruntime 1.22.0 (CPU)". */
  runtime: z.string(),
});
export type ConversionCheck = z.infer<typeof ConversionCheckSchema>;

/** The PyTorch / TensorFlow file a converted model was made from: inspect, runs and reports name it. */
export const ConvertedFromSchema = z.object({
  name: z.string(),
  format: SourceFormatSchema,
  label: z.string(),
  sha256: z.string(),
});
export type ConvertedFrom = z.infer<typeof ConvertedFromSchema>;

export const ConvertedModelSchema = z.object({
  /** First 16 hex of the source's sha256 (a folder: of its files' names and contents). */
  id: z.string(),
  /** The ONNX model in the data folder. */
  path: z.string(),
  fileName: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  source: z.object({
    name: z.string(),
    path: z.string(),
    format: SourceFormatSchema,
    label: z.string(),
    sha256: z.string(),
  }),
  opset: z.number().int(),
  inputs: z.array(InputSpecSchema),
  /** Which Python and packages converted it. */
  python: z.object({ path: z.string(), version: z.string(), packages: z.record(z.string(), z.string().nullable()) }),
  /** "torch.onnx.export (TorchScript exporter), opset 17" / "tf2onnx 1.16.1, opset 17". */
  exporter: z.string(),
  check: ConversionCheckSchema,
  convertedAt: z.string(),
  /** Seconds the conversion took, check included. */
  seconds: z.number().nonnegative(),
});
export type ConvertedModel = z.infer<typeof ConvertedModelSchema>;

export const SourceIdentitySchema = z.object({
  path: z.string(),
  /** File or folder name. */
  name: z.string(),
  isFolder: z.boolean(),
  format: SourceFormatSchema,
  /** "TorchScript module (PyTorch)", "Keras HDF5 model (TensorFlow)", … */
  label: z.string(),
  framework: FrameworkSchema.nullable(),
  /** What in the content says so: "ZIP with code/ and constants.pkl", "pickle names __main__.Net". */
  evidence: z.array(z.string()),
  sha256: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  /** Loading it unpickles Python objects, which runs code the file names: the user must agree first. */
  runsStoredCode: z.boolean(),
  /** A state_dict: the model's Python class (or a factory script) is needed. */
  needsModelCode: z.boolean(),
  /** Classes the pickle names (module.Class), e.g. the model class of a whole-module pickle. */
  pickledClasses: z.array(z.string()),
  /** Python packages converting it needs: ["torch", "onnx"] or ["tensorflow", "tf2onnx"]. */
  packages: z.array(z.string()),
  /**
   * Inputs the file itself declares, read without running it (TorchScript forward's argument names,
   * a Keras config's input shapes); an entry with shape [] names the input but not its shape.
   */
  declaredInputs: z.array(InputSpecSchema),
  /** Converted already (same content): the cached result. */
  converted: ConvertedModelSchema.nullable(),
  /** One sentence: what it is and what converting it needs. */
  summary: z.string(),
});
export type SourceIdentity = z.infer<typeof SourceIdentitySchema>;

export const ConvertRequestSchema = z.object({
  /** Chosen by the caller so progress events and cancel can name the job before the answer. */
  jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  /** The file or folder to convert (on the machine that runs the services). */
  path: z.string().min(1),
  /** The interpreter to use; default: the first found with the needed packages. */
  python: z.string().optional(),
  inputs: z.array(InputSpecSchema).max(64),
  /** Sizes the check feeds named dims, e.g. { sequence: 16 }. */
  exampleSizes: z.record(z.string(), z.number().int().positive()).default({}),
  /** The user's go-ahead to load a pickle (required when the source runs stored code). */
  trust: z.boolean().default(false),
  modelCode: ModelCodeSchema.optional(),
  /** Default: the newest both the exporter and this onnxruntime support. */
  opset: z.number().int().min(7).max(30).optional(),
  /** Convert again even when a converted model of this content exists. */
  force: z.boolean().default(false),
});
export type ConvertRequest = z.infer<typeof ConvertRequestSchema>;

export const ConvertProgressSchema = z.object({
  jobId: z.string(),
  stage: z.enum(['starting', 'loading', 'running-original', 'exporting', 'checking', 'done']),
  message: z.string(),
  /** 0–1 when known. */
  fraction: z.number().min(0).max(1).nullable(),
  elapsedMs: z.number().nonnegative(),
});
export type ConvertProgress = z.infer<typeof ConvertProgressSchema>;

/** What to run by hand: install the packages, and convert without Inferscope (copyable). */
export const ConvertInstructionsSchema = z.object({
  install: z.array(z.string()),
  /** A Python script converting this source with these inputs. */
  script: z.string(),
  /** The shell command running it. */
  command: z.string(),
});
export type ConvertInstructions = z.infer<typeof ConvertInstructionsSchema>;
