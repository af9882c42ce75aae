/** The pure rules of machines: the URL serve prints, contract versions, and whose a failure is. */
import { describe, expect, it } from 'vitest';
import { parseMachineUrl, remoteMachine } from '../../../../src/core/machines';
import { fromRemote, unreachable } from '../../../../src/core/machines/errors';
import { incompatibility, reportedContractVersion } from '../../../../src/core/machines/version';
import { CONTRACT_VERSION } from '../../../../src/shared/contract/version';
import { machineId } from '../../../../src/shared/domain/machine';

const gpuBox = { name: 'gpu-box', url: 'http://127.0.0.1:5179' };
const TOKEN = 'qeUcH-Bv8MWSqGO3F686jSsWt3fJ5EQW';

describe('the URL serve printed', () => {
  it('keeps the address without the token, and the token apart', () => {
    expect(parseMachineUrl({ url: ` http://127.0.0.1:5179/?token=${TOKEN} ` })).toEqual({ url: 'http://127.0.0.1:5179', token: TOKEN });
    expect(parseMachineUrl({ url: 'https://gpu.example.com/', token: TOKEN })).toEqual({ url: 'https://gpu.example.com', token: TOKEN });
  });

  it('refuses what is not one, saying what to paste', () => {
    expect(() => parseMachineUrl({ url: 'gpu-box:5179' })).toThrow(/http:\/\//);
    expect(() => parseMachineUrl({ url: 'not a url' })).toThrow(/is not a URL/);
    expect(() => parseMachineUrl({ url: `ftp://host/?token=${TOKEN}` })).toThrow(/starts with http:\/\//);
    expect(() => parseMachineUrl({ url: `http://me:secret@host/?token=${TOKEN}` })).toThrow(/user name or password/);
    expect(() => parseMachineUrl({ url: 'http://127.0.0.1:5179/' })).toThrow(/no access token/);
    expect(() => parseMachineUrl({ url: 'http://127.0.0.1:5179/?token=short' })).toThrow(/no access token/);
  });

  it('names: ids in lower case with dashes; "local" and "this machine" are this machine', () => {
    expect(machineId('GPU box')).toBe('gpu-box');
    expect(remoteMachine(undefined)).toBeNull();
    expect(remoteMachine('local')).toBeNull();
    expect(remoteMachine('This machine')).toBeNull();
    expect(remoteMachine('gpu-box')).toBe('gpu-box');
  });
});

describe('contract versions', () => {
  it('the same contract is compatible whatever the app versions', () => {
    expect(incompatibility('gpu-box', { appVersion: '9.9.9', contractVersion: CONTRACT_VERSION }, '0.1.0')).toBeNull();
  });

  it('another contract says which side to update', () => {
    expect(incompatibility('gpu-box', { appVersion: '2.0.0', contractVersion: CONTRACT_VERSION + 1 }, '0.1.0')).toMatch(
      /contract 2\); this app is 0\.1\.0 \(contract 1\): update this app\.$/,
    );
    expect(incompatibility('gpu-box', { appVersion: '0.0.1', contractVersion: 0 }, '0.1.0')).toMatch(/update Inferscope on gpu-box\.$/);
    expect(incompatibility('gpu-box', { appVersion: '0.0.9', contractVersion: null }, '0.1.0')).toMatch(
      /from before measuring on other machines/,
    );
  });

  it('a host reports another contract only with test hooks on', () => {
    expect(reportedContractVersion({ INFERSCOPE_TEST_CONTRACT_VERSION: '7' })).toBe(CONTRACT_VERSION);
    expect(reportedContractVersion({ INFERSCOPE_TEST_CONTRACT_VERSION: '7', INFERSCOPE_TEST_HOOKS: '1' })).toBe(7);
    expect(reportedContractVersion({ INFERSCOPE_TEST_CONTRACT_VERSION: 'x', INFERSCOPE_TEST_HOOKS: '1' })).toBe(CONTRACT_VERSION);
  });
});

describe("a machine's failures are the machine's", () => {
  it('keeps the codes the app reacts to, with the name first; turns its own token, drift and unknowns into MACHINE_*', () => {
    expect(fromRemote(gpuBox, { code: 'CANCELLED', message: 'Cancelled' }).toInfo()).toEqual({
      code: 'CANCELLED',
      message: 'gpu-box: Cancelled',
    });
    expect(fromRemote(gpuBox, { code: 'DIMS_REQUIRED', message: 'Set sequence', detail: 'sequence' }).toInfo()).toEqual({
      code: 'DIMS_REQUIRED',
      message: 'gpu-box: Set sequence',
      detail: 'sequence',
    });
    expect(fromRemote(gpuBox, { code: 'UNAUTHORIZED', message: 'no' }).code).toBe('MACHINE_UNAUTHORIZED');
    expect(fromRemote(gpuBox, { code: 'UNKNOWN_COMMAND', message: 'no' }).code).toBe('MACHINE_INCOMPATIBLE');
    expect(fromRemote(gpuBox, { code: 'INTERNAL', message: 'boom' }).toInfo()).toEqual({
      code: 'MACHINE_FAILED',
      message: 'gpu-box: boom',
    });
    expect(fromRemote(gpuBox, { code: 'SOMETHING_NEW', message: 'later' }).toInfo()).toEqual({
      code: 'MACHINE_FAILED',
      message: 'gpu-box: later',
      detail: 'SOMETHING_NEW',
    });
  });

  it('says what to check when nothing answers', () => {
    const refused = unreachable(gpuBox, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect(refused.toInfo()).toEqual({
      code: 'MACHINE_UNREACHABLE',
      message:
        'gpu-box: cannot reach http://127.0.0.1:5179: nothing answers there (connection refused). ' +
        'Is `inferscope serve` running there, and the SSH tunnel open?',
    });
  });
});
