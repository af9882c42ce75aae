/** Variants: which modes apply, making one in the quantization worker, listing, deleting, exporting. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InferscopeError } from '../../shared/errors';
import { readModel } from '../onnx/read';
import { runQuantizeJob } from '../quantize/job';
import { graphInputs } from '../quantize/data';
import { explainGeneratedInputs } from '../bench/plan';
import { autoExclude } from './auto-exclude';
import { describeSource, exportVariantFile, modeAvailability, quantizeCpu, type VariantStore } from '../quantize/variants';
import { ensureDir, withDeadline } from '../store/safe-fs';
import { getSampleInfo } from '../zoo';
import { withProfile } from '../../shared/domain/profile';
import { variantVerdict } from '../../shared/domain/quality-verdict';
import { profileOf, resolveModel, type AreaHandlers, type CoreContext } from './context';

type QuantizeCommands = 'quantize.modes' | 'quantize.run' | 'quantize.cancel' | 'variants.list' | 'variants.delete';

export function quantizeHandlers(ctx: CoreContext): AreaHandlers<QuantizeCommands> {
  const { variants, quantizeJobs } = ctx;
  return {
    'quantize.modes': async (request) => {
      const model = await resolveModel(ctx.layout, request.source);
      const loaded = await readModel(model.path);
      const profile = await ctx.hardware.get();
      return modeAvailability(loaded.model, quantizeCpu(profile.cpu.arch, profile.cpu.flags));
    },
    'quantize.run': async (request, context) => {
      const { jobId } = request.request;
      if (quantizeJobs.has(jobId)) throw new InferscopeError('BAD_REQUEST', `A quantization job ${jobId} is already running.`);
      const model = await resolveModel(ctx.layout, request.request.source);
      const controller = new AbortController();
      quantizeJobs.set(jobId, controller);
      try {
        const source = await describeSource(model.path, model.sample ?? path.basename(model.path));
        // The model's saved input profile fills the dims and input values the request leaves open.
        const asked = request.request;
        const { profile } = await profileOf(ctx, model.path, model.sample);
        const merged = withProfile(profile, { dims: asked.dims, values: asked.inputValues });
        const job = {
          ...asked,
          ...(Object.keys(merged.dims).length > 0 ? { dims: merged.dims } : {}),
          ...(Object.keys(merged.values).length > 0 ? { inputValues: merged.values } : {}),
        };
        const cpu = job.options.mode === 'int8-static' ? await ctx.hardware.cpu() : undefined;
        const ranged = job.intRanges === undefined && model.sample ? { ...job, intRanges: sampleIntRanges(model.sample) } : job;
        const make = (exclude?: readonly string[]) =>
          runQuantizeJob({
            supervisor: ctx.quantizeSupervisor,
            store: variants,
            request: exclude ? { ...ranged, layerReport: 'always', options: { ...ranged.options, exclude: [...exclude] } } : ranged,
            source,
            cpu,
            onProgress: (progress) => context.emit('quantize.progress', progress),
            signal: controller.signal,
          });
        const note = (message: string) => context.emit('quantize.progress', { jobId, stage: 'evaluate', fraction: null, message });
        const made = job.autoExclude ? autoExclude(job.options.exclude ?? [], make, note) : make();
        return await made.catch(async (error: unknown) => {
          // Seeded random evaluation inputs (no data of the user's): a run that fails says which inputs were made up.
          if (job.calibration !== undefined && job.calibration.kind !== 'random') throw error;
          const inputs = await readModel(model.path)
            .then((loaded) => graphInputs(loaded.model).map((i) => ({ ...i, shape: i.shape ? i.shape.map((d) => d ?? '?') : null })))
            .catch(() => []);
          throw explainGeneratedInputs(error, inputs, { inputs: { values: merged.values } }, []);
        });
      } finally {
        quantizeJobs.delete(jobId);
      }
    },
    'quantize.cancel': async (request) => {
      const job = quantizeJobs.get(request.jobId);
      job?.abort();
      return { cancelled: job !== undefined };
    },
    'variants.list': async (request) => {
      const model = await resolveModel(ctx.layout, request.source);
      const source = await describeSource(model.path);
      return variants.list(source.sha256);
    },
    'variants.delete': async (request) => ({ deleted: await variants.delete(request.id) }),
  };
}

/**
 * A sample knows its own valid integer inputs (token ids inside its vocabulary). Masks keep the
 * all-ones default rather than random 0/1 padding.
 */
export function sampleIntRanges(sample: string): Record<string, { min: number; max: number }> | undefined {
  const ranges: Record<string, { min: number; max: number }> = {};
  for (const input of getSampleInfo(sample).inputs)
    if (input.valueRange && !/mask/i.test(input.name)) ranges[input.name] = input.valueRange;
  return Object.keys(ranges).length > 0 ? ranges : undefined;
}

async function existingVariant(variants: VariantStore, id: string) {
  const v = await variants.get(id);
  if (!v) throw new InferscopeError('MODEL_NOT_FOUND', `There is no variant ${id}.`);
  return v;
}

/** A variant's model file and the name it is downloaded or saved under. */
export async function variantFile(variants: VariantStore, id: string): Promise<{ path: string; fileName: string }> {
  const v = await existingVariant(variants, id);
  return { path: v.path, fileName: `${v.source.name.replace(/\.onnx$/i, '')}-${v.id}.onnx` };
}

export interface ExportOptions {
  /** Create missing folders above the file (the CLI's -o, typed by the user); bounded either way. */
  createFolder?: boolean;
}

/**
 * Copies a variant's model (and its external data) to a path on this machine. Only hosts that
 * know the user chose `target` call this (the CLI's -o, Electron's save dialog). A file system
 * that does not answer is an error within the request deadline, never a hang.
 */
export async function exportVariant(
  variants: VariantStore,
  id: string,
  target: string,
  options: ExportOptions = {},
): Promise<{ path: string }> {
  const v = await existingVariant(variants, id);
  return { path: (await exportModelFile(v.path, target, options)).path };
}

/** exportVariantFile into a folder that exists (or is made, with createFolder), looked up within the request deadline. */
export async function exportModelFile(
  modelPath: string,
  target: string,
  options: ExportOptions = {},
): ReturnType<typeof exportVariantFile> {
  const absolute = path.resolve(target);
  const folder = path.dirname(absolute);
  if (options.createFolder) await withDeadline(ensureDir(folder), `Creating ${folder}`);
  const stat = await withDeadline(fs.stat(folder), `Looking up ${folder}`).catch((error: unknown) => {
    if (error instanceof InferscopeError) throw error;
    throw new InferscopeError('IO_ERROR', `Cannot export to ${absolute}: the folder ${folder} does not exist.`);
  });
  if (!stat.isDirectory()) throw new InferscopeError('IO_ERROR', `Cannot export to ${absolute}: ${folder} is not a folder.`);
  return exportVariantFile(modelPath, absolute);
}

/** What a benchmark plan needs of a variant it measures beside the original. */
export async function variantForBench(variants: VariantStore, id: string) {
  const v = await variants.get(id);
  if (!v) throw new InferscopeError('PLAN_INVALID', `There is no variant ${id} (it may have been deleted).`);
  const quality = v.report.quality.map(
    ({ name, maxAbsDiff, meanAbsDiff, sqnrDb, cosine, nanCount, infCount, top1Agreement, top5Overlap, broken, verdict }) => ({
      name,
      maxAbsDiff,
      meanAbsDiff,
      sqnrDb,
      cosine,
      nanCount,
      infCount,
      ...(top1Agreement !== undefined ? { top1Agreement } : {}),
      ...(top5Overlap !== undefined ? { top5Overlap } : {}),
      ...(broken !== undefined ? { broken } : {}),
      ...(verdict !== undefined ? { verdict } : {}),
    }),
  );
  const judged = variantVerdict(v);
  return {
    id: v.id,
    label: v.label,
    mode: v.mode,
    path: v.path,
    sizeBytes: v.sizeBytes,
    precision: v.mode,
    quality,
    warnings: v.report.warnings,
    verdict: judged.verdict,
    verdictReason: judged.reason,
    sourceSha256: v.source.sha256,
  };
}
