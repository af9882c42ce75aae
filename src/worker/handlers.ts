/**
 * One handler per request type in the protocol's REQUESTS table; a request type
 * without a handler here does not compile.
 */
import type { ProgressOf, RequestOf, RequestType, ResultOf } from '../core/worker-host/protocol';
import { probe } from './probe';
import { bench } from './measure';
import { quantize } from './quantize';
import { upgradeFile } from '../core/quantize/upgrade';
import { convertCheck } from './convert-check';
import { armHangIfAsked, crashForTest, crashIfAsked, withoutTestOptions } from './test-hooks';

export interface RequestContext<T extends RequestType> {
  signal: AbortSignal;
  /** Queues a progress message; never awaited. */
  progress(value: ProgressOf<T>): void;
}

export type Handlers = {
  [T in RequestType]: (request: RequestOf<T>, context: RequestContext<T>) => Promise<ResultOf<T>>;
};

export const handlers: Handlers = {
  probe: (request, { signal }) => probe(request, signal),
  bench: (request, context) => {
    crashIfAsked(request.config.epOptions);
    armHangIfAsked(request.config.epOptions);
    return bench({ ...request.config, epOptions: withoutTestOptions(request.config.epOptions) }, context);
  },
  quantize: (request, context) => quantize(request, context),
  upgrade: (request, { signal }) =>
    upgradeFile(
      {
        modelPath: request.modelPath,
        outputPath: request.outputPath,
        samples: request.samples,
        dims: request.dims,
        intRanges: request.intRanges,
        inputValues: request.inputValues,
      },
      signal,
    ),
  'convert-check': (request, { signal }) => convertCheck(request, signal),
  'crash-for-test': (request, { signal }) => crashForTest(request, signal),
};
