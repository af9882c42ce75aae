import { describe, expect, it } from 'vitest';
import type { ConfigResult, RunDocument } from '../../../../../src/shared/domain/run';
import {
  eventTarget,
  finishedFraction,
  isSilent,
  noEarlyEvents,
  SILENCE_BEFORE_POLL_MS,
  withEarlyEvents,
} from '../../../../../src/renderer/lib/logic/run-follow';
import { measuredRun } from './decide-fixtures';

function config(id: string, status: ConfigResult['status']): ConfigResult {
  return { id, status, warnings: [] } as unknown as ConfigResult;
}

/** A run as 'bench.start' answers: running, every configuration still to measure. */
function started(id: string, ids: string[]): RunDocument {
  return { ...measuredRun(id, 'mnist-cnn', []), status: 'running', configs: ids.map((configId) => config(configId, 'pending')) };
}

describe('following a run', () => {
  it('keeps events of the followed run for its document, or until the document comes', () => {
    const previous = started('run-1', ['cpu/b1/t0/c1']);
    expect(eventTarget('run-2', 'run-2', started('run-2', []))).toBe('document');
    // The previous run stays shown while the next starts: its document must not take the new run's configurations.
    expect(eventTarget('run-2', 'run-2', previous)).toBe('early');
    expect(eventTarget('run-2', 'run-2', null)).toBe('early');
  });

  it('ignores other runs and everything while it follows none', () => {
    expect(eventTarget('someone-else', 'run-2', started('run-2', []))).toBe('ignore');
    expect(eventTarget('run-2', null, null)).toBe('ignore');
    expect(eventTarget('run-1', null, started('run-1', []))).toBe('ignore');
  });

  it('puts configurations that finished before the answer into the answer’s document', () => {
    const doc = started('run-2', ['cpu/b1/t0/c1', 'cpu/b2/t0/c1']);
    const early = noEarlyEvents('run-2');
    early.configs.push(config('cpu/b1/t0/c1', 'done'));
    const adopted = withEarlyEvents(doc, early);
    expect(adopted.configs.map((c) => [c.id, c.status])).toEqual([
      ['cpu/b1/t0/c1', 'done'],
      ['cpu/b2/t0/c1', 'pending'],
    ]);
    expect(adopted.status).toBe('running');
    expect(doc.configs[0]?.status).toBe('pending');
  });

  it('ends the document when the run ended before the answer came', () => {
    const early = { ...noEarlyEvents('run-2'), configs: [config('cpu/b1/t0/c1', 'cancelled')], status: 'cancelled' as const };
    const adopted = withEarlyEvents(started('run-2', ['cpu/b1/t0/c1']), early);
    expect(adopted.status).toBe('cancelled');
    expect(adopted.configs[0]?.status).toBe('cancelled');
  });

  it('drops early events that named another run than the answer did', () => {
    const doc = started('run-2', ['cpu/b1/t0/c1']);
    const early = { ...noEarlyEvents('run-from-another-page'), configs: [config('cpu/b1/t0/c1', 'done')], status: 'completed' as const };
    expect(withEarlyEvents(doc, early)).toBe(doc);
    expect(withEarlyEvents(doc, noEarlyEvents())).toBe(doc);
  });

  it('measures a run without live progress by its finished configurations', () => {
    const doc = started('run-3', ['a', 'b', 'c', 'd']);
    expect(finishedFraction(doc)).toBe(0);
    doc.configs = [config('a', 'done'), config('b', 'failed'), config('c', 'running'), config('d', 'pending')];
    expect(finishedFraction(doc)).toBe(0.5);
    expect(finishedFraction({ configs: [] })).toBe(0);
  });

  it('reads the store only once events have stopped for a while', () => {
    expect(isSilent(10_000, 10_000 + SILENCE_BEFORE_POLL_MS - 1)).toBe(false);
    expect(isSilent(10_000, 10_000 + SILENCE_BEFORE_POLL_MS)).toBe(true);
    expect(isSilent(0, 1000, 500)).toBe(true);
  });
});
