import os from 'node:os';
import si from 'systeminformation';
import type { MemoryInfo } from '../../shared/domain/hardware';
import { withTimeout } from './exec';

export async function detectMemory(notes: string[], timeoutMs: number): Promise<MemoryInfo> {
  const mem = await withTimeout(() => si.mem(), timeoutMs, 'systeminformation mem()');
  if (mem.ok && mem.value.total > 0) {
    // "available" counts reclaimable page cache; "free" alone would make a busy machine look full.
    return { totalBytes: mem.value.total, availableBytes: mem.value.available || mem.value.free };
  }
  notes.push(`Memory: ${mem.ok ? 'systeminformation reported no total' : mem.message}; using Node's os.totalmem()/freemem()`);
  return { totalBytes: os.totalmem(), availableBytes: os.freemem() };
}
