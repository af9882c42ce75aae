/**
 * Whether another machine's Inferscope can run this app's plans: both must speak the same contract
 * (shared/contract/version.ts). The app versions may differ; the machine's status names both.
 */
import { CONTRACT_VERSION } from '../../shared/contract/version';

/**
 * A test may make a host report another contract version, to see a real app refuse it:
 * INFERSCOPE_TEST_CONTRACT_VERSION, honoured only with INFERSCOPE_TEST_HOOKS=1 (as the worker's test hooks).
 */
export function reportedContractVersion(env: NodeJS.ProcessEnv = process.env): number {
  const forced = Number(env.INFERSCOPE_TEST_CONTRACT_VERSION);
  return env.INFERSCOPE_TEST_HOOKS === '1' && Number.isSafeInteger(forced) && forced > 0 ? forced : CONTRACT_VERSION;
}

export interface RemoteVersions {
  appVersion: string | null;
  contractVersion: number | null;
}

/** null when the machine can run this app's plans, else why not, in words ("it runs …: update …"). */
export function incompatibility(name: string, remote: RemoteVersions, ownAppVersion: string): string | null {
  const own = reportedContractVersion();
  if (remote.contractVersion === own) return null;
  const theirs = remote.appVersion ? `Inferscope ${remote.appVersion}` : 'an Inferscope that does not say its version';
  if (remote.contractVersion === null) {
    const ours = `this app is ${ownAppVersion}, contract ${own}`;
    return `it runs ${theirs}, from before measuring on other machines (${ours}): update Inferscope there.`;
  }
  const update = remote.contractVersion > own ? 'update this app' : `update Inferscope on ${name}`;
  return `it runs ${theirs} (contract ${remote.contractVersion}); this app is ${ownAppVersion} (contract ${own}): ${update}.`;
}
