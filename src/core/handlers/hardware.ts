/** Hardware detection and the execution-provider probes, cached for the life of the host. */
import type { CommandContext } from '../../shared/contract';
import type { HardwareProfile, ProviderAssessment, ProviderProbeResult } from '../../shared/domain/hardware';
import { toErrorInfo } from '../../shared/errors';
import type { WorkerSupervisor } from '../worker-host/supervisor';
import type { QuantizeCpu } from '../../shared/domain/quantize';
import { detectHardware, mergeProviderProbes } from '../hardware';
import { detectCpu } from '../hardware/cpu';
import { quantizeCpu } from '../quantize/variants';
import { buildFp16ProbeModel, buildProbeModel } from '../zoo';
import { reportedContractVersion } from '../machines/version';
import type { AppIdentity, AreaHandlers } from './context';

/** A provider probe is a tiny session: generous for slow software adapters, short enough never to stall the UI. */
const PROBE_TIMEOUT_MS = 20_000;
const CPU_TIMEOUT_MS = 2_000;
/** Providers whose float16 support depends on the device: they get a float16 probe session too. */
const FP16_PROBED = new Set(['webgpu']);

type ProbeDetail = { nodes: number; fallbackNodes: unknown[]; sessionCreateMs: number; firstRunMs: number };

function probeDetail(candidate: ProviderAssessment, detail: ProbeDetail): string {
  const parts = [
    candidate.software
      ? `Software adapter${candidate.adapter ? ` (${candidate.adapter})` : ''}: correct but slow — not a GPU`
      : 'Probe session ran',
    `session ${detail.sessionCreateMs.toFixed(0)} ms, first run ${detail.firstRunMs.toFixed(1)} ms`,
  ];
  if (detail.fallbackNodes.length > 0) parts.push(`${detail.fallbackNodes.length} of ${detail.nodes} probe nodes fell back to CPU`);
  return parts.join('; ');
}

export class HardwareCache {
  private profile: Promise<HardwareProfile> | null = null;
  private cpuOnly: Promise<QuantizeCpu> | null = null;

  constructor(private readonly supervisor: WorkerSupervisor) {}

  /** The profile detected once (without events), shared by every command that needs it. */
  get(): Promise<HardwareProfile> {
    this.profile ??= this.detect({ emit: () => undefined });
    return this.profile;
  }

  /**
   * The CPU's architecture and instruction sets (static int8 picks its types by them): from the
   * profile when one is known, else read alone, without probing the execution providers.
   */
  cpu(): Promise<QuantizeCpu> {
    const fromProfile = this.profile?.then((p) => p.cpu);
    this.cpuOnly ??= fromProfile ?? detectCpu([], CPU_TIMEOUT_MS);
    return this.cpuOnly.then((cpu) => quantizeCpu(cpu.arch, cpu.flags));
  }

  /** Detects again (or the first time), reporting each provider's probe as it finishes. */
  refresh(context: CommandContext, force: boolean): Promise<HardwareProfile> {
    if (force || this.profile === null) {
      const detecting = this.detect(context);
      this.profile = detecting;
      detecting.catch(() => {
        if (this.profile === detecting) this.profile = null;
      });
    }
    return this.profile;
  }

  private detect(context: CommandContext): Promise<HardwareProfile> {
    return detectHardware({ probeProviders: (candidates) => this.probe(candidates, context) });
  }

  /**
   * Probes run one at a time in the worker: several WebGPU sessions at once have crashed
   * onnxruntime, and a crash must only cost that provider its status (the supervisor's next
   * request gets a fresh worker).
   */
  private async probe(candidates: ProviderAssessment[], context: CommandContext): Promise<ProviderProbeResult[]> {
    const modelBytes = buildProbeModel();
    const results: ProviderProbeResult[] = [];
    for (const candidate of candidates) {
      let result: ProviderProbeResult;
      try {
        const outcome = await this.supervisor.request({ type: 'probe', ep: candidate.name, modelBytes }, { timeoutMs: PROBE_TIMEOUT_MS });
        result = outcome.ok
          ? { name: candidate.name, ok: true, probeMs: outcome.ms, detail: probeDetail(candidate, outcome.detail) }
          : { name: candidate.name, ok: false, probeMs: 0, detail: `${outcome.code}: ${outcome.message}` };
        if (result.ok && FP16_PROBED.has(candidate.name)) await this.probeFp16(candidate, result);
      } catch (error) {
        const info = toErrorInfo(error);
        result = { name: candidate.name, ok: false, probeMs: 0, detail: `${info.code}: ${info.message}` };
      }
      results.push(result);
      const [status] = mergeProviderProbes([candidate], [result]);
      if (status) context.emit('hardware.provider', status);
    }
    return results;
  }

  /**
   * A float16 test session on a provider that works: WebGPU computes float16 only where the adapter has shader-f16,
   * and without it fails at the first run. The answer goes into the provider's status, so plans skip float16
   * models there before they start; a probe that cannot tell leaves fp16 unset.
   */
  private async probeFp16(candidate: ProviderAssessment, result: ProviderProbeResult): Promise<void> {
    try {
      const outcome = await this.supervisor.request(
        { type: 'probe', ep: candidate.name, modelBytes: buildFp16ProbeModel() },
        { timeoutMs: PROBE_TIMEOUT_MS },
      );
      // Float16 nodes handed to the CPU would make the model run, but not in float16 on this device.
      result.fp16 = outcome.ok && outcome.detail.fallbackNodes.length === 0;
      if (!result.fp16) result.detail += '; no float16 on this adapter (shader-f16): float16 models cannot run on it';
    } catch {
      // A crash or a timeout of the extra session says nothing certain about float16.
    }
  }
}

export function hardwareHandlers(app: AppIdentity, hardware: HardwareCache): AreaHandlers<'app.info' | 'hardware.detect'> {
  return {
    'app.info': async () => ({
      name: 'Inferscope',
      version: app.version,
      host: app.host,
      contractVersion: reportedContractVersion(),
      userDataDir: app.userDataDir,
      versions: app.versions,
    }),
    'hardware.detect': async (request, context) => hardware.refresh(context, request.refresh === true),
  };
}
