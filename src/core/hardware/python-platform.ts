/**
 * What differs between operating systems for running the user's Python: the interpreter's file
 * names, where a virtualenv keeps it, how a process and its children are stopped, and whether
 * the system's package manager offers PyTorch. The one place in conversion that asks.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const windows = process.platform === 'win32';

/** Names tried in each PATH folder, most specific first. */
export const PYTHON_NAMES: readonly string[] = windows ? ['python.exe', 'python3.exe'] : ['python3', 'python'];

/** The interpreter inside a virtualenv or conda prefix. */
export function interpreterIn(prefix: string): string[] {
  return windows ? [path.join(prefix, 'Scripts', 'python.exe'), path.join(prefix, 'python.exe')] : [path.join(prefix, 'bin', 'python')];
}

/** Spawn options for a process we may have to stop with everything it started. */
export const treeSpawnOptions = { detached: !windows, windowsHide: true } as const;

/** Stops the child and every process it started (a conversion may run tf2onnx as a subprocess). */
export function killTree(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  if (windows) {
    spawnSync('taskkill', ['/pid', String(child.pid), '/T', '/F'], { windowsHide: true });
    return;
  }
  try {
    // detached: the child leads its own process group, so -pid reaches its children too.
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** Debian or Ubuntu (apt offers python3-torch and python3-onnx for the system's Python). */
export function isDebianLike(): boolean {
  if (process.platform !== 'linux' || !existsSync('/etc/os-release')) return false;
  const text = readFileSync('/etc/os-release', 'utf8');
  return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(text);
}

/** The system's own Python, which the system's packages install into. */
export const SYSTEM_PYTHONS: readonly string[] = ['/usr/bin/python3', '/bin/python3'];

/** How the shell runs a Python script here (quoted for the shell the user copies it into). */
export function shellQuote(text: string): string {
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(text)) return text;
  return windows ? `"${text.replace(/"/g, '\\"')}"` : `'${text.replace(/'/g, `'\\''`)}'`;
}
