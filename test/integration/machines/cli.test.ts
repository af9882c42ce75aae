/**
 * `inferscope machines add|list|check|remove` and `bench --on`, as a person types them: the built
 * CLI in a data folder of its own, against a real `inferscope serve` playing the other machine.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Machine, MachineStatus } from '../../../src/shared/domain/machine';
import type { RunDocument, RunSummary } from '../../../src/shared/domain/run';
import { newHome, removeHomes, runCli, startHost, type Host } from './hosts';

let gpuBox: Host;
let home: string;
const QUICK = ['--ep', 'cpu', '--min-time', '200ms', '--max-time', '1s', '--min-iterations', '10', '--repetitions', '1', '--no-profile'];

beforeAll(async () => {
  gpuBox = await startHost();
  home = newHome();
});

afterAll(async () => {
  await gpuBox?.stop();
  removeHomes();
});

describe('inferscope machines', () => {
  it('adds a machine by the URL serve printed, keeping its token in a file only this user can read', async () => {
    const added = await runCli(['machines', 'add', gpuBox.url, '--name', 'gpu-box'], home);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/Added gpu-box\./);
    expect(added.stdout).toMatch(/Reachable: +yes/);
    expect(added.stdout).toMatch(/Execution providers/);

    const tokens = path.join(home, 'data', 'machine-tokens.json');
    expect(statSync(tokens).mode & 0o777).toBe(0o600);
    expect(readFileSync(tokens, 'utf8')).toContain(gpuBox.token);
    expect(readFileSync(path.join(home, 'data', 'machines.json'), 'utf8')).not.toContain(gpuBox.token);
  });

  it('lists the machines with a fresh check of each', async () => {
    const listed = await runCli(['machines', 'list'], home);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/this machine +— +yes/);
    expect(listed.stdout).toMatch(new RegExp(`gpu-box +http://127\\.0\\.0\\.1:${gpuBox.port} +yes +\\S+ \\(contract 1\\)`));
    const json = JSON.parse((await runCli(['machines', 'list', '--json'], home)).stdout) as { machine: Machine; status: MachineStatus }[];
    expect(json.map((row) => [row.machine.id, row.status.compatible])).toEqual([
      ['local', true],
      ['gpu-box', true],
    ]);
    expect(json[1]?.machine.token).toBe('file');
  });

  it('bench --on measures the same plan on each machine and saves both runs with their machines', async () => {
    const bench = await runCli(['bench', 'sample:mlp', '--on', 'local,gpu-box', ...QUICK, '--json', '-'], home);
    expect(bench.stderr).not.toMatch(/inferscope: /);
    expect(bench.code).toBe(0);
    const docs = JSON.parse(bench.stdout) as RunDocument[];
    expect(docs.map((d) => [d.status, d.machine?.name ?? 'this machine'])).toEqual([
      ['completed', 'this machine'],
      ['completed', 'gpu-box'],
    ]);
    const runs = JSON.parse((await runCli(['runs', '--json'], home)).stdout) as RunSummary[];
    expect(runs.map((r) => r.remote?.name ?? null).sort()).toEqual(['gpu-box', null]);

    const printed = await runCli(['bench', 'sample:mlp', '--on', 'gpu-box', ...QUICK], home);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/── gpu-box ──/);
    expect(printed.stdout).toMatch(new RegExp(`completed — measured on gpu-box \\(http://127\\.0\\.0\\.1:${gpuBox.port}\\)`));
  });

  it('names the machine in every failure, with its code and exit status 1', async () => {
    const unknown = await runCli(['bench', 'sample:mlp', '--on', 'nowhere', ...QUICK], home);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/MACHINE_NOT_FOUND: No machine named nowhere is saved here \(saved: gpu-box\)/);

    // A token in the environment wins over the file: a wrong one is refused, as the machine's.
    const wrong = await runCli(['machines', 'check', 'gpu-box'], home, { INFERSCOPE_MACHINE_TOKEN_GPU_BOX: 'z'.repeat(32) });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/MACHINE_UNAUTHORIZED: gpu-box: it refused the access token/);

    const output = await runCli(['quantize', 'sample:mlp', '--mode', 'fp16', '--on', 'gpu-box', '-o', path.join(home, 'x.onnx')], home);
    expect(output.code).toBe(1);
    expect(output.stderr).toMatch(/NOT_SUPPORTED: -o writes a file on this machine, and a variant made with --on stays on gpu-box/);
  });

  it('removes a machine and its token', async () => {
    const removed = await runCli(['machines', 'remove', 'gpu-box'], home);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/Removed gpu-box\. Machines left: this machine\./);
    expect(readFileSync(path.join(home, 'data', 'machine-tokens.json'), 'utf8')).not.toContain(gpuBox.token);
    const again = await runCli(['machines', 'remove', 'gpu-box'], home);
    expect(again.stderr).toMatch(/MACHINE_NOT_FOUND/);
  });
});
