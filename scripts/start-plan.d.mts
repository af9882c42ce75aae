// Types of scripts/start-plan.mjs for its unit test.
export type StartChoice = { host: 'electron' } | { host: 'browser'; reason: string };

export function electronInstalled(electronDir: string): boolean;
export function hasDisplay(platform: NodeJS.Platform, env: Record<string, string | undefined>): boolean;
export function chooseHost(options: {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  electronReady: boolean;
  download: () => boolean | string;
}): StartChoice;
export const BUILD_OUTPUTS: readonly string[];
export const BUILD_INPUTS: readonly string[];
export function buildNeeded(root: string): string | null;
export function openCommand(
  platform: NodeJS.Platform,
  env: Record<string, string | undefined>,
  url: string,
): { command: string; args: string[] } | null;
export function servingUrl(line: string): string | null;
