/**
 * Runs the conversion script with the user's Python in a child process: progress lines become
 * events, cancel and the time limit stop the whole process tree, and every way it can end becomes
 * a result or a coded error carrying the last lines Python printed.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { ERROR_CODES, InferscopeError } from '../../shared/errors';
import { killTree, treeSpawnOptions } from '../hardware/python-platform';
import { SCRIPT_MARK } from './python';

/** Lines of Python's output kept for an error's detail. */
export const TAIL_LINES = 20;
const MAX_LINE = 2000;
/** After the process tree is killed, how long its pipes may take to close before the caller is answered. */
const STOP_GRACE_MS = 5000;

const ProgressLineSchema = z.object({
  event: z.literal('progress'),
  stage: z.enum(['starting', 'loading', 'running-original', 'exporting', 'checking', 'done']),
  message: z.string(),
  fraction: z.number().min(0).max(1).nullable().default(null),
});
const ResultLineSchema = z.object({
  event: z.literal('result'),
  exporter: z.string(),
  opset: z.number().int(),
  dynamicAxes: z.record(z.string(), z.record(z.string(), z.string())).default({}),
  seconds: z.number().nonnegative(),
});
const ErrorLineSchema = z.object({
  event: z.literal('error'),
  code: z.enum(ERROR_CODES),
  message: z.string(),
  detail: z.string().nullable().optional(),
});
const LineSchema = z.discriminatedUnion('event', [ProgressLineSchema, ResultLineSchema, ErrorLineSchema]);

export type ScriptProgress = z.infer<typeof ProgressLineSchema>;
export type ScriptResult = z.infer<typeof ResultLineSchema>;

export interface ScriptRun {
  python: string;
  args: string[];
  cwd: string;
  timeoutMs: number;
  signal: AbortSignal;
  onProgress(progress: ScriptProgress): void;
}

/** The last lines of a stream, bounded in memory whatever Python prints. */
class Tail {
  private lines: string[] = [];
  add(line: string): void {
    this.lines.push(line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)} …` : line);
    if (this.lines.length > TAIL_LINES) this.lines.shift();
  }
  text(): string {
    return this.lines.join('\n');
  }
  last(): string {
    return (
      [...this.lines]
        .reverse()
        .find((line) => line.trim() !== '')
        ?.trim() ?? ''
    );
  }
}

const minutes = (ms: number): string => (ms >= 60_000 ? `${+(ms / 60_000).toFixed(1)} minutes` : `${Math.round(ms / 1000)} s`);

export function runScript(run: ScriptRun): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const tail = new Tail();
    let result: ScriptResult | null = null;
    let refusal: z.infer<typeof ErrorLineSchema> | null = null;
    let stopped: InferscopeError | null = null;
    const child = spawn(run.python, run.args, {
      cwd: run.cwd,
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', PYTHONIOENCODING: 'utf-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...treeSpawnOptions,
    });
    const stop = (error: InferscopeError): void => {
      stopped ??= error;
      killTree(child);
      // A process stuck in the kernel may never close its pipes: the caller is answered anyway.
      setTimeout(() => {
        clearTimeout(timer);
        run.signal.removeEventListener('abort', onAbort);
        reject(withDetail(stopped ?? error, tail.text()));
      }, STOP_GRACE_MS).unref();
    };
    const timer = setTimeout(
      () =>
        stop(
          new InferscopeError('CONVERT_TIMEOUT', `The conversion ran past its time limit of ${minutes(run.timeoutMs)} and was stopped.`),
        ),
      run.timeoutMs,
    );
    const onAbort = (): void => stop(new InferscopeError('CANCELLED', 'The conversion was cancelled.'));
    if (run.signal.aborted) onAbort();
    else run.signal.addEventListener('abort', onAbort, { once: true });

    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith(SCRIPT_MARK)) return tail.add(line);
      const parsed = LineSchema.safeParse(safeJson(line.slice(SCRIPT_MARK.length)));
      if (!parsed.success) return tail.add(line);
      if (parsed.data.event === 'progress') run.onProgress(parsed.data);
      else if (parsed.data.event === 'result') result = parsed.data;
      else refusal = parsed.data;
    });
    createInterface({ input: child.stderr }).on('line', (line) => tail.add(line));

    child.on('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? 'it is not there' : error.message;
      stop(new InferscopeError('CONVERT_NO_PYTHON', `Python ${run.python} could not be started: ${why}.`, { detail: run.python }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      run.signal.removeEventListener('abort', onAbort);
      const detail = tail.text();
      if (stopped) return reject(withDetail(stopped, detail));
      if (refusal) return reject(new InferscopeError(refusal.code, refusal.message, { detail: joinDetail(refusal.detail, detail) }));
      if (code === 0 && result) return resolve(result);
      const how = signal ? `was killed by ${signal}` : code === 0 ? 'ended without a result' : `stopped with exit code ${code}`;
      const gist = tail.last();
      reject(new InferscopeError('CONVERT_FAILED', `Python ${how}${gist ? `: ${gist}` : '.'}`, { detail }));
    });
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The script's traceback, then what Python printed last, at most TAIL_LINES lines each. */
function joinDetail(script: string | null | undefined, printed: string): string {
  const trace = (script ?? '').trim().split('\n').slice(-TAIL_LINES).join('\n');
  return [trace, printed.trim()].filter((part, i, all) => part && all.indexOf(part) === i).join('\n');
}

function withDetail(error: InferscopeError, detail: string): InferscopeError {
  return detail ? new InferscopeError(error.code, error.message, { detail }) : error;
}
