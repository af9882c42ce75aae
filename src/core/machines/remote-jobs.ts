/**
 * Quantization on another machine: the model is sent there once, the variant is made there and
 * stays there (plans on that machine measure it by id; docs/machines.md#variants), and what comes
 * back is the variant's record with its measured comparison and the machine that keeps it.
 */
import type { CommandContext, EventPayload } from '../../shared/contract';
import type { ModelSource } from '../../shared/domain/app';
import type { ModeAvailability, QuantizeRequest, Variant } from '../../shared/domain/variant';
import type { RemoteTarget } from './remote-runs';
import { machineError } from './errors';
import { statModelFile } from '../onnx/read';
import { findModel } from './upload';

const DATA_WORDS: Record<Exclude<QuantizeRequest['calibration']['kind'], 'random'>, string> = {
  tensors: 'tensors',
  images: 'images',
  audio: 'audio files',
};

/** Data folders and input files stay on this machine: refused before anything is sent. */
function assertPortableJob(request: QuantizeRequest, target: RemoteTarget): void {
  const local =
    request.calibration.kind !== 'random'
      ? `${DATA_WORDS[request.calibration.kind]} in a folder for calibration`
      : Object.values(request.inputValues ?? {}).some((v) => v.kind === 'file')
        ? 'an input read from a file'
        : null;
  if (local) {
    throw machineError(
      target.ref,
      'NOT_SUPPORTED',
      `this job uses ${local} on this machine, and files other than the model are not sent to another machine. ` +
        `Quantize there with generated data, or copy the data to ${target.ref.name} and run \`inferscope quantize\` there.`,
    );
  }
}

/** The variant as this app shows it: made and kept by the machine, from the model named as it is here. */
function fromMachine(variant: Variant, source: ModelSource, target: RemoteTarget): Variant {
  const sourcePath = source.kind === 'path' ? source.path : variant.source.path;
  return { ...variant, source: { ...variant.source, path: sourcePath }, machine: target.ref };
}

export class RemoteJobs {
  private readonly jobs = new Map<string, RemoteTarget>();

  async quantize(target: RemoteTarget, request: QuantizeRequest, context: CommandContext): Promise<Variant> {
    assertPortableJob(request, target);
    if (this.jobs.has(request.jobId))
      throw machineError(target.ref, 'BAD_REQUEST', `a quantization job ${request.jobId} is already running.`);
    this.jobs.set(request.jobId, target);
    const stopEvents = target.connection.onEvent((event, payload) => {
      if (event === 'quantize.progress' && (payload as { jobId?: unknown }).jobId === request.jobId) {
        context.emit('quantize.progress', payload as EventPayload<'quantize.progress'>);
      }
    });
    try {
      const source = await target.send(request.source);
      const variant = await target.connection.invoke('quantize.run', { request: { ...request, source } });
      return fromMachine(variant, request.source, target);
    } finally {
      stopEvents();
      this.jobs.delete(request.jobId);
    }
  }

  /** Cancels a job running on another machine; null when the job is not one. */
  async cancel(jobId: string): Promise<boolean | null> {
    const target = this.jobs.get(jobId);
    if (!target) return null;
    return (await target.connection.invoke('quantize.cancel', { jobId })).cancelled;
  }

  async modes(target: RemoteTarget, source: ModelSource): Promise<ModeAvailability[]> {
    return target.connection.invoke('quantize.modes', { source: await target.send(source) });
  }

  /** The variants the machine keeps of this model; none when it has never received the model. */
  async variants(target: RemoteTarget, source: ModelSource): Promise<Variant[]> {
    let there: ModelSource | null = source;
    if (source.kind === 'path') {
      await statModelFile(source.path);
      there = await findModel(target.connection, source.path);
    }
    if (there === null) return [];
    const list = await target.connection.invoke('variants.list', { source: there });
    return list.map((variant) => fromMachine(variant, source, target));
  }
}
