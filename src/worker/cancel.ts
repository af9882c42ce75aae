import { InferscopeError } from '../shared/errors';

/** Cancellation points: between steps, never inside a timed region. */
export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new InferscopeError('CANCELLED', 'Cancelled by the host.');
}

/** Resolves after `ms`, or rejects with CANCELLED as soon as the signal aborts. */
export function cancellableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new InferscopeError('CANCELLED', 'Cancelled by the host.'));
    const timer = ms === Infinity ? undefined : setTimeout(done, ms);
    function onAbort(): void {
      if (timer) clearTimeout(timer);
      reject(new InferscopeError('CANCELLED', 'Cancelled by the host.'));
    }
    function done(): void {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
