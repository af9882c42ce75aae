/**
 * The child process a conversion runs in, with small real Python scripts: progress and the result
 * come through, a coded refusal keeps its code, a crash or a signal becomes CONVERT_FAILED with the
 * last lines, and the time limit and cancel end the whole process tree (a grandchild included).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScript, type ScriptProgress } from '../../../../src/core/convert/run-python';

const PYTHON = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['--version']).status === 0) ?? null;
const dir = mkdtempSync(path.join(os.tmpdir(), 'inferscope-run-python-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MARK = 'import json, os, signal, subprocess, sys, time\ndef say(**f): print("@inferscope " + json.dumps(f), flush=True)\n';

function run(code: string, more: { timeoutMs?: number; signal?: AbortSignal; progress?: ScriptProgress[] } = {}) {
  const file = path.join(dir, `s${Math.random().toString(36).slice(2)}.py`);
  writeFileSync(file, MARK + code);
  return runScript({
    python: PYTHON!,
    args: [file],
    cwd: dir,
    timeoutMs: more.timeoutMs ?? 30_000,
    signal: more.signal ?? new AbortController().signal,
    onProgress: (p) => more.progress?.push(p),
  });
}

/** Running, not a zombie (a container's first process may never reap what it inherits). */
const alive = (pid: number): boolean => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
};

describe.skipIf(!PYTHON)(`the conversion's Python process${PYTHON ? '' : ' (skipped: no python3 here)'}`, () => {
  it('passes progress on and resolves with the result; other output is not the result', async () => {
    const progress: ScriptProgress[] = [];
    const result = await run(
      'print("a line from the model code")\nsay(event="progress", stage="loading", message="Loading", fraction=None)\n' +
        'print("@inferscope not json")\nsay(event="result", exporter="e", opset=17, dynamicAxes={"x": {"0": "batch"}}, seconds=0.5)\n',
      { progress },
    );
    expect(progress).toEqual([{ event: 'progress', stage: 'loading', message: 'Loading', fraction: null }]);
    expect(result).toEqual({ event: 'result', exporter: 'e', opset: 17, dynamicAxes: { x: { '0': 'batch' } }, seconds: 0.5 });
  });

  it("keeps a refusal's code, with its detail and what Python printed", async () => {
    const error = run(
      'print("printed before", file=sys.stderr)\n' +
        'say(event="error", code="CONVERT_NEEDS_CODE", message="No class.", detail="Traceback: here")\nsys.exit(2)\n',
    );
    await expect(error).rejects.toMatchObject({
      code: 'CONVERT_NEEDS_CODE',
      message: 'No class.',
      detail: 'Traceback: here\nprinted before',
    });
  });

  it('reports a crash with its last line and at most the last 20 lines', async () => {
    const error = await run('for i in range(50): print("line %d" % i, file=sys.stderr)\nraise ValueError("it broke")\n').catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'CONVERT_FAILED', message: 'Python stopped with exit code 1: ValueError: it broke' });
    const lines = (error as { detail: string }).detail.split('\n');
    expect(lines).toHaveLength(20);
    expect(lines.at(-1)).toBe('ValueError: it broke');
    await expect(run('os.kill(os.getpid(), signal.SIGKILL)\n')).rejects.toMatchObject({
      code: 'CONVERT_FAILED',
      message: 'Python was killed by SIGKILL.',
    });
    await expect(run('pass\n')).rejects.toMatchObject({ code: 'CONVERT_FAILED', message: 'Python ended without a result.' });
  });

  it('stops the whole tree at the time limit, and on cancel', async () => {
    const progress: ScriptProgress[] = [];
    const tree =
      'child = subprocess.Popen(["sleep", "300"])\nsay(event="progress", stage="loading", message=str(child.pid))\ntime.sleep(300)\n';
    await expect(run(tree, { timeoutMs: 3000, progress })).rejects.toMatchObject({
      code: 'CONVERT_TIMEOUT',
      message: 'The conversion ran past its time limit of 3 s and was stopped.',
    });
    const grandchild = Number(progress[0]!.message);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(alive(grandchild)).toBe(false);

    const controller = new AbortController();
    const cancelled: ScriptProgress[] = [];
    const running = run(tree, {
      signal: controller.signal,
      progress: { push: (p: ScriptProgress) => (cancelled.push(p), controller.abort()) } as never,
    });
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED', message: 'The conversion was cancelled.' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(alive(Number(cancelled[0]!.message))).toBe(false);
  });

  it('says a Python that is not there could not be started', async () => {
    const error = runScript({
      python: path.join(dir, 'no-python'),
      args: [],
      cwd: dir,
      timeoutMs: 5000,
      signal: new AbortController().signal,
      onProgress: () => undefined,
    });
    await expect(error).rejects.toMatchObject({
      code: 'CONVERT_NO_PYTHON',
      message: `Python ${path.join(dir, 'no-python')} could not be started: it is not there.`,
    });
  });
});
