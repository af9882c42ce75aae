// electron-builder's afterPack hook (electron-builder.yml): flips Electron's fuses in the packaged
// binary — after the app is copied in, before it is signed, so the signature covers the flipped
// binary — then reads them back and fails the build if one did not take. Why each fuse: README,
// "Packaging the desktop app".
import path from 'node:path';
import fuses from '@electron/fuses';
import builder from 'electron-builder';

const { flipFuses, getCurrentFuseWire, FuseV1Options, FuseVersion } = fuses;

/** Fuse (by its @electron/fuses name) → the state the packaged app ships with. */
export const FUSES = Object.freeze({
  RunAsNode: false,
  EnableCookieEncryption: true,
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  EnableEmbeddedAsarIntegrityValidation: true,
  OnlyLoadAppFromAsar: true,
});

/** The wire states @electron/fuses writes: ASCII '0' and '1'. */
const DISABLED = 0x30;
const ENABLED = 0x31;

export function fuseConfig({ resetAdHocDarwinSignature = false } = {}) {
  const config = { version: FuseVersion.V1, resetAdHocDarwinSignature };
  for (const [name, on] of Object.entries(FUSES)) {
    if (!(name in FuseV1Options)) throw new Error(`@electron/fuses knows no fuse named ${name}`);
    config[FuseV1Options[name]] = on;
  }
  return config;
}

/** The file holding the fuse wire: the executable on Linux and Windows, the .app bundle on macOS. */
export function electronBinary({ appOutDir, electronPlatformName, packager }) {
  const product = packager.appInfo.productFilename;
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas') return path.join(appOutDir, `${product}.app`);
  if (electronPlatformName === 'win32') return path.join(appOutDir, `${product}.exe`);
  return path.join(appOutDir, packager.executableName);
}

export async function afterPack(context) {
  const binary = electronBinary(context);
  // Flipping invalidates the ad-hoc signature every arm64 macOS binary needs to start at all.
  const darwin = context.electronPlatformName === 'darwin' || context.electronPlatformName === 'mas';
  await flipFuses(binary, fuseConfig({ resetAdHocDarwinSignature: darwin && context.arch === builder.Arch.arm64 }));

  const wire = await getCurrentFuseWire(binary);
  const wrong = Object.entries(FUSES).filter(([name, on]) => wire[FuseV1Options[name]] !== (on ? ENABLED : DISABLED));
  if (wrong.length > 0) throw new Error(`Electron fuses not set in ${binary}: ${wrong.map(([name]) => name).join(', ')}`);
  const states = Object.entries(FUSES).map(([name, on]) => `${name}=${on ? 'on' : 'off'}`);
  console.log(`  • fuses set in ${path.basename(binary)}: ${states.join(', ')}`);
}

export default afterPack;
