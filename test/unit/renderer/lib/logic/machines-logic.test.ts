/**
 * The app's reading of the machines a plan can run on: each machine's state from its last check, what was sent to it,
 * the providers a plan can tick across the machines picked, the plan each machine gets, and each machine's own price
 * in the Decide form.
 */
import { describe, expect, it } from 'vitest';
import {
  buildRequirement,
  draftFromRequirement,
  emptyDraft,
  machinePriceError,
  pricedMachines,
} from '../../../../../src/renderer/lib/logic/decide-form';
import {
  chosenMachines,
  machinePlans,
  machineState,
  planProviders,
  takesPlans,
  transfersText,
} from '../../../../../src/renderer/lib/logic/machines';
import { RequirementSchema } from '../../../../../src/shared/domain/advice';
import type { HardwareProfile, ProviderStatus } from '../../../../../src/shared/domain/hardware';
import { NO_TRANSFERS, type Machine, type MachineStatus } from '../../../../../src/shared/domain/machine';

const status = (name: string, state: ProviderStatus['status'], displayName = name.toUpperCase()): ProviderStatus => ({
  name,
  displayName,
  status: state,
  detail: `${displayName} detail`,
  probeMs: null,
});

const here: Machine = {
  id: 'local',
  name: 'this machine',
  url: null,
  local: true,
  addedAt: null,
  token: null,
  tokenNote: null,
  status: null,
  transfers: NO_TRANSFERS,
};

function checked(overrides: Partial<MachineStatus> = {}): MachineStatus {
  // Only the providers matter here (the renderer's tests stay clear of the Node-side run fixtures).
  const hardware = { providers: [] } as unknown as HardwareProfile;
  return {
    id: 'gpu-box',
    name: 'gpu-box',
    reachable: true,
    appVersion: '0.1.0',
    contractVersion: 1,
    host: 'browser',
    compatible: true,
    reason: null,
    error: null,
    hardware: { ...hardware, providers: [status('cpu', 'ready', 'CPU'), status('cuda', 'ready', 'CUDA')] },
    checkedAt: '2026-12-01T10:00:00.000Z',
    ...overrides,
  };
}

function remote(overrides: Partial<Machine> = {}): Machine {
  return {
    id: 'gpu-box',
    name: 'gpu-box',
    url: 'http://127.0.0.1:5179',
    local: false,
    addedAt: '2026-12-01T10:00:00.000Z',
    token: 'memory',
    tokenNote: 'Kept in memory only',
    status: checked(),
    transfers: NO_TRANSFERS,
    ...overrides,
  };
}

const failure = (code: string, reachable: boolean): Partial<MachineStatus> => ({
  reachable,
  compatible: false,
  reason: 'no',
  error: { code: code as never, message: `gpu-box: ${code}` },
  hardware: null,
});

describe('a machine’s state', () => {
  it('reads its last check: ready, unreachable, refused, incompatible, unchecked, without a token', () => {
    expect(machineState(here)).toBe('here');
    expect(machineState(remote())).toBe('ready');
    expect(machineState(remote({ status: null }))).toBe('unchecked');
    expect(machineState(remote({ token: 'missing' }))).toBe('no-token');
    expect(machineState(remote({ status: checked(failure('MACHINE_UNREACHABLE', false)) }))).toBe('unreachable');
    expect(machineState(remote({ status: checked(failure('MACHINE_UNAUTHORIZED', true)) }))).toBe('refused');
    expect(machineState(remote({ status: checked(failure('MACHINE_INCOMPATIBLE', true)) }))).toBe('incompatible');
    expect(machineState(remote({ status: checked({ ...failure('MACHINE_FAILED', true), compatible: true }) }))).toBe('failed');
    expect([here, remote(), remote({ status: null }), remote({ token: 'missing' })].map(takesPlans)).toEqual([true, true, false, false]);
  });

  it('says what was sent to it', () => {
    expect(transfersText(NO_TRANSFERS)).toBeNull();
    expect(transfersText({ modelsSent: 1, bytesSent: 2_500_000, modelsFound: 0 })).toBe('1 model sent (2.38 MiB)');
    expect(transfersText({ modelsSent: 2, bytesSent: 1024, modelsFound: 3 })).toBe('2 models sent (1 KiB) · 3 already there');
  });
});

describe('a plan on several machines', () => {
  const local = [status('cpu', 'ready', 'CPU'), status('webgpu', 'ready', 'WebGPU'), status('cuda', 'not-installed', 'CUDA')];

  it('offers this machine’s providers, then those only another picked machine has, named with where they are', () => {
    expect(planProviders(local, [here])).toEqual(local);
    const rows = planProviders(local, [here, remote()]);
    expect(rows.map((p) => [p.name, p.status, p.displayName])).toEqual([
      ['cpu', 'ready', 'CPU'],
      ['webgpu', 'ready', 'WebGPU on this machine'],
      ['cuda', 'ready', 'CUDA on gpu-box'],
    ]);
    expect(rows[2]?.detail).toBe('Only on gpu-box: CUDA detail');
    // gpu-box alone: its own providers.
    expect(planProviders(local, [remote()]).map((p) => p.displayName)).toEqual(['CPU', 'CUDA']);
  });

  it('gives each machine the ticked providers it has, and says why a machine with none is not asked', () => {
    const plan = { eps: ['cpu', 'cuda'], maxTimeMs: 1000 };
    expect(machinePlans(plan, [here], local)).toEqual([{ machine: { id: 'local', name: 'this machine' }, plan, refused: null }]);
    const both = machinePlans(plan, [here, remote()], local);
    expect(both.map((p) => [p.machine.id, p.plan?.eps])).toEqual([
      ['local', ['cpu']],
      ['gpu-box', ['cpu', 'cuda']],
    ]);
    const [refused] = machinePlans({ eps: ['webgpu'] }, [remote()], local);
    expect(refused?.plan).toBeNull();
    expect(refused?.refused).toEqual({
      code: 'EP_UNAVAILABLE',
      message:
        'gpu-box: none of the ticked providers (webgpu) is ready there, so the plan was not sent. ' +
        'Tick one it has, or check it again in Machines.',
    });
  });

  it('keeps the list’s order for the picked ids and drops ids no longer saved', () => {
    const list = [here, remote()];
    expect(chosenMachines(list, ['gpu-box', 'local', 'gone']).map((m) => m.id)).toEqual(['local', 'gpu-box']);
  });
});

describe('each machine’s price in the Decide form', () => {
  it('lists the machines of the ticked runs, this machine first, none for an imported run', () => {
    const runs = [
      { imported: false, remote: { id: 'gpu-box', name: 'gpu-box', url: 'http://127.0.0.1:5179' } },
      { imported: true, remote: null },
      { imported: false, remote: null },
    ];
    expect(pricedMachines(runs)).toEqual([
      { id: 'local', name: 'this machine' },
      { id: 'gpu-box', name: 'gpu-box' },
    ]);
    expect(pricedMachines([{ imported: true }])).toEqual([]);
  });

  it('builds the prices by machine, leaves them out when none is typed, and reads them back', () => {
    const base = { ...emptyDraft(), latencyMs: '20' };
    const none = buildRequirement({ ...base, machinePrices: { local: '', 'gpu-box': ' ' } });
    expect(none.ok && none.requirement.prices).toEqual({ gpuByName: {} });
    const built = buildRequirement({ ...base, machinePrices: { local: '0.15', 'gpu-box': '$0.90' } });
    expect(built.ok && built.requirement.prices).toEqual({ gpuByName: {}, byMachine: { local: 0.15, 'gpu-box': 0.9 } });
    const saved = RequirementSchema.parse(built.ok ? built.requirement : null);
    expect(draftFromRequirement(saved).machinePrices).toEqual({ local: '0.15', 'gpu-box': '0.90' });
  });

  it('refuses a price of 0 or words, naming the field', () => {
    expect(machinePriceError('0')).toBe('A price above 0, or empty for the CPU / GPU machine price');
    expect(machinePriceError('cheap')).not.toBeNull();
    expect(machinePriceError('')).toBeNull();
    const built = buildRequirement({ ...emptyDraft(), latencyMs: '20', machinePrices: { 'gpu-box': '-1' } });
    expect(built.ok).toBe(false);
    expect(!built.ok && Object.keys(built.errors)).toEqual(['machinePrices']);
  });
});
