/** The steps of a measurement that the single-thread path and the bench threads share. */
import type { CpuTimes } from '../core/bench/cpu-load';
import * as ort from 'onnxruntime-node';
import { InferscopeError } from '../shared/errors';
import type { BenchConfig, BenchPhase, BenchProgress } from '../core/bench/measurement';
import type { ResolvedInput } from './feeds';
import type { WarmupOutcome } from './loop';
import { nowMs } from './loop';
import { messageOf, sessionOptions } from './session';
import { hangIfArmed } from './test-hooks';

export interface BenchContext {
  signal: AbortSignal;
  progress(value: BenchProgress): void;
}

/** What steps 2–5 produce, whether on this thread or on several. */
export interface TimedPhases {
  inputs: ResolvedInput[];
  outputs: string[];
  sessionCreateMs: number;
  firstRunMs: number;
  warmup: WarmupOutcome;
  samplesMs: number[];
  samplesPerThread: number[];
  measureMs: number;
  stopReason: 'ci-reached' | 'max-time' | 'max-iterations';
  rssBeforeCreateBytes: number;
  rssAfterCreateBytes: number;
  rssAfterMeasureBytes: number;
  cpu: NodeJS.CpuUsage;
  /** The whole machine's CPU time over the same window as `cpu`. */
  machineCpu: { before: CpuTimes; after: CpuTimes };
}

export function phaseProgress(
  phase: BenchPhase,
  iterations = 0,
  elapsedMs = 0,
  medianMs: number | null = null,
  ciHalfWidthRel: number | null = null,
  recentSamplesMs: number[] = [],
): BenchProgress {
  return { phase, iterations, elapsedMs, medianMs, ciHalfWidthRel, recentSamplesMs };
}

export async function createSession(config: BenchConfig): Promise<ort.InferenceSession> {
  try {
    const session = await ort.InferenceSession.create(
      config.modelPath,
      sessionOptions(config.ep, config.epOptions, config.threads, config.graphOptimizationLevel),
    );
    return hangIfArmed(session);
  } catch (error) {
    throw new InferscopeError('SESSION_FAILED', `ONNX Runtime could not create a ${config.ep} session: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

export async function firstRun(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, ep: string): Promise<number> {
  const started = nowMs();
  try {
    await session.run(feeds);
  } catch (error) {
    throw new InferscopeError('SESSION_FAILED', `The model could not run on ${ep}: ${messageOf(error)}`, { cause: error });
  }
  return nowMs() - started;
}
