// Types of the afterPack hook for the tests that run it (the hook itself is plain JavaScript,
// loaded by electron-builder).
import type { FuseConfig, FuseV1Options } from '@electron/fuses';

export type FuseName = keyof typeof FuseV1Options;

export interface AfterPackContext {
  appOutDir: string;
  electronPlatformName: string;
  arch: number;
  packager: { executableName: string; appInfo: { productFilename: string } };
}

export const FUSES: Readonly<Partial<Record<FuseName, boolean>>>;
export function fuseConfig(options?: { resetAdHocDarwinSignature?: boolean }): FuseConfig;
export function electronBinary(context: AfterPackContext): string;
export function afterPack(context: AfterPackContext): Promise<void>;
export default afterPack;
