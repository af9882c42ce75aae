import { describe, expect, it } from 'vitest';
import { chartWorkWaiting, dropChartWork, queueChartWork } from '../../../../../src/renderer/lib/charts/work-queue';

/** Node's process, typed here: the renderer's tests compile without Node's types. */
interface UncaughtErrors {
  on(event: 'uncaughtException', listener: (error: unknown) => void): void;
  off(event: 'uncaughtException', listener: (error: unknown) => void): void;
}
const node = (globalThis as unknown as { process: UncaughtErrors }).process;

/** Resolves once every piece of chart work has run (or after `limitMs`). */
async function drained(limitMs = 2000): Promise<void> {
  const until = Date.now() + limitMs;
  while (chartWorkWaiting() > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 1));
  await new Promise((resolve) => setTimeout(resolve, 1));
}

describe('chart work queue', () => {
  it('runs each piece in a task of its own, oldest first', async () => {
    const log: string[] = [];
    const [a, b, c] = [{}, {}, {}];
    queueChartWork(a, () => {
      log.push('a');
      // Microtasks queued by a piece run before the next piece: the pieces are separate tasks.
      queueMicrotask(() => log.push('a:microtask'));
    });
    queueChartWork(b, () => log.push('b'));
    queueChartWork(c, () => log.push('c'));
    expect(log).toEqual([]);
    expect(chartWorkWaiting()).toBe(3);
    await drained();
    expect(log).toEqual(['a', 'a:microtask', 'b', 'c']);
  });

  it('keeps one piece per chart: the newest work, in the place of the first', async () => {
    const log: string[] = [];
    const [a, b] = [{}, {}];
    queueChartWork(a, () => log.push('a1'));
    queueChartWork(b, () => log.push('b1'));
    queueChartWork(a, () => log.push('a2'));
    expect(chartWorkWaiting()).toBe(2);
    await drained();
    expect(log).toEqual(['a2', 'b1']);
  });

  it('forgets the work of a chart whose canvas is gone, and goes on after a piece that throws', async () => {
    const log: string[] = [];
    const [a, b, c] = [{}, {}, {}];
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    node.on('uncaughtException', onError);
    try {
      queueChartWork(a, () => {
        throw new Error('a chart that cannot draw');
      });
      queueChartWork(b, () => log.push('b'));
      queueChartWork(c, () => log.push('c'));
      dropChartWork(b);
      await drained();
    } finally {
      node.off('uncaughtException', onError);
    }
    expect(log).toEqual(['c']);
    expect(errors).toHaveLength(1);
    expect(chartWorkWaiting()).toBe(0);
  });
});
