import os from 'node:os';
import si from 'systeminformation';
import type { OsInfo } from '../../shared/domain/hardware';
import { withTimeout } from './exec';

export async function detectOs(notes: string[], timeoutMs: number): Promise<OsInfo> {
  const info = await withTimeout(() => si.osInfo(), timeoutMs, 'systeminformation osInfo()');
  if (info.ok) {
    const v = info.value;
    return {
      platform: v.platform || process.platform,
      distro: v.distro || os.type(),
      release: v.release || os.release(),
      arch: v.arch || process.arch,
      kernel: v.kernel || os.release(),
      hostname: v.hostname || os.hostname(),
    };
  }
  notes.push(`OS: ${info.message}; using Node's os module`);
  return {
    platform: process.platform,
    distro: os.type(),
    release: os.release(),
    arch: process.arch,
    kernel: os.release(),
    hostname: os.hostname(),
  };
}

/** macOS apps stay open with no window (the dock brings one back); elsewhere closing the last window quits. */
export function quitsWhenLastWindowCloses(): boolean {
  return process.platform !== 'darwin';
}
