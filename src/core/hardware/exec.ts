import { type ChildProcess, execFile } from 'node:child_process';

/** Most probes (lspci, sysctl, rocm-smi) answer in milliseconds; waiting longer only hides a hung tool. */
export const TOOL_TIMEOUT_MS = 1500;
/** nvidia-smi initialises every GPU when persistence mode is off, and system_profiler is slow by nature. */
export const SLOW_TOOL_TIMEOUT_MS = 2500;

export type ToolFailure = 'missing' | 'timeout' | 'failed';

export type ToolResult = { ok: true; stdout: string } | { ok: false; reason: ToolFailure; message: string; stdout: string };

/**
 * Runs an external tool without a shell. Resolves on our own timer rather than execFile's
 * `timeout`, because a tool stuck in the kernel (a wedged GPU driver) ignores signals and
 * execFile would then wait for it forever.
 */
export function runTool(file: string, args: readonly string[], timeoutMs: number): Promise<ToolResult> {
  return new Promise((resolve) => {
    let settled = false;
    let child: ChildProcess | undefined;
    const finish = (result: ToolResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      child?.kill('SIGKILL');
      child?.unref();
      child?.stdout?.destroy();
      child?.stderr?.destroy();
      finish({ ok: false, reason: 'timeout', message: `${file} did not answer within ${timeoutMs} ms`, stdout: '' });
    }, timeoutMs);
    try {
      child = execFile(
        file,
        args,
        { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 16 * 1024 * 1024, windowsHide: true, encoding: 'utf8' },
        (error, stdout, stderr) => {
          const out = String(stdout ?? '');
          if (!error) return finish({ ok: true, stdout: out });
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') return finish({ ok: false, reason: 'missing', message: `${file} not found`, stdout: out });
          const text = (String(stderr ?? '').trim() || out.trim() || error.message).split('\n')[0] ?? '';
          finish({ ok: false, reason: 'failed', message: `${file} failed: ${text}`, stdout: out });
        },
      );
    } catch (error) {
      finish({ ok: false, reason: 'failed', message: `${file} could not start: ${String(error)}`, stdout: '' });
    }
  });
}

/** Waits for a library call at most `timeoutMs`; the call keeps running but is no longer awaited. */
export async function withTimeout<T>(
  work: () => Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<{ ok: true; value: T } | { ok: false; message: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ ok: false; message: string }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, message: `${what} did not answer within ${timeoutMs} ms` }), timeoutMs);
    timer.unref();
  });
  try {
    const attempt = work().then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, message: `${what} failed: ${error instanceof Error ? error.message : String(error)}` }),
    );
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
