/** Session options for one configuration: exactly the EP asked for, no silent fallback list. */
import type * as ort from 'onnxruntime-node';
import type { EpOptions } from '../core/bench/measurement';
import type { GraphOptimizationLevel } from '../shared/domain/plan';

export function executionProvider(ep: string, epOptions: EpOptions | undefined): ort.InferenceSession.ExecutionProviderConfig {
  if (!epOptions || Object.keys(epOptions).length === 0) return ep as ort.InferenceSession.ExecutionProviderConfig;
  return { ...epOptions, name: ep } as ort.InferenceSession.ExecutionProviderConfig;
}

export function sessionOptions(
  ep: string,
  epOptions: EpOptions | undefined,
  threads = 0,
  graphOptimizationLevel: GraphOptimizationLevel = 'all',
): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [executionProvider(ep, epOptions)],
    ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
    graphOptimizationLevel,
    // Errors only: EP warnings go to stderr, which the host keeps for crash reports anyway.
    logSeverityLevel: 3,
  };
}

export function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).trim();
}
