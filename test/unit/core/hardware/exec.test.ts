import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTool, withTimeout } from '../../../../src/core/hardware/exec';

describe('runTool', () => {
  it('returns stdout of a tool that works', async () => {
    expect(await runTool(process.execPath, ['-e', 'process.stdout.write("hello")'], 5000)).toEqual({ ok: true, stdout: 'hello' });
  });

  it('reports a missing tool as missing', async () => {
    const result = await runTool('inferscope-no-such-tool', [], 1000);
    expect(result).toMatchObject({ ok: false, reason: 'missing' });
  });

  it('reports a failing tool with its first stderr line', async () => {
    const result = await runTool(
      process.execPath,
      ['-e', 'console.error("Field \\"compute_cap\\" is not a valid field to query."); process.exit(2)'],
      5000,
    );
    expect(result).toMatchObject({ ok: false, reason: 'failed' });
    if (!result.ok) expect(result.message).toMatch(/compute_cap" is not a valid field/);
  });

  it('gives up on a hung tool on time and kills it', async () => {
    const pidFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'inferscope-exec-')), 'pid');
    const script = `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setTimeout(() => {}, 60_000)`;
    const started = performance.now();
    const result = await runTool(process.execPath, ['-e', script], 500);
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(490);
    expect(elapsed).toBeLessThan(2500);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(() => process.kill(pid, 0)).toThrow();
    rmSync(path.dirname(pidFile), { recursive: true, force: true });
  });
});

describe('withTimeout', () => {
  it('passes a value through', async () => {
    expect(await withTimeout(async () => 42, 1000, 'x')).toEqual({ ok: true, value: 42 });
  });

  it('turns a rejection into a message', async () => {
    expect(await withTimeout(() => Promise.reject(new Error('boom')), 1000, 'lib call')).toEqual({
      ok: false,
      message: 'lib call failed: boom',
    });
  });

  it('stops waiting for a call that never settles', async () => {
    const result = await withTimeout(() => new Promise<never>(() => {}), 50, 'lib call');
    expect(result).toEqual({ ok: false, message: 'lib call did not answer within 50 ms' });
  });
});
