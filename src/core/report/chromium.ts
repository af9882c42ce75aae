/**
 * Where a Chromium-based browser usually lives, for printing reports to PDF. Every path is
 * simply tried: one that does not exist on this OS costs a stat call, and the list stays one
 * place to extend instead of a platform switch.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { InferscopeError } from '../../shared/errors';

export const CHROMIUM_ENV = 'INFERSCOPE_CHROMIUM';

/** Flags for printing: headless, sandbox off (containers and CI run as root), and nothing that talks to the network. */
export const CHROMIUM_PRINT_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

/** Well-known install locations on Linux, macOS and Windows, in order of preference. */
export function chromiumCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const windowsRoots = [env['PROGRAMFILES'], env['PROGRAMFILES(X86)'], env['LOCALAPPDATA']].filter((r): r is string => Boolean(r));
  return [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/snap/bin/chromium',
    '/usr/bin/microsoft-edge',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
    '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
    ...windowsRoots.flatMap((root) => [
      path.win32.join(root, 'Google', 'Chrome', 'Application', 'chrome.exe'),
      path.win32.join(root, 'Chromium', 'Application', 'chrome.exe'),
      path.win32.join(root, 'Microsoft', 'Edge', 'Application', 'msedge.exe'),
    ]),
  ];
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface FindChromiumOptions {
  /** An explicit path (--chromium PATH): used as given, never replaced by a guess. */
  explicit?: string;
  env?: NodeJS.ProcessEnv;
  /** Overrides the well-known locations (tests). */
  candidates?: readonly string[];
}

/**
 * The browser to print with: the explicit path, else $INFERSCOPE_CHROMIUM, else the first
 * well-known location that holds an executable.
 */
export function findChromium(options: FindChromiumOptions = {}): string {
  const env = options.env ?? process.env;
  const chosen = options.explicit ?? env[CHROMIUM_ENV];
  if (chosen) {
    if (isExecutableFile(chosen)) return chosen;
    const source = options.explicit ? 'The Chromium path given' : `${CHROMIUM_ENV}`;
    throw new InferscopeError(
      'CHROMIUM_NOT_FOUND',
      `${source} (${chosen}) is not an executable file. Point it at Chrome, Chromium or Edge.`,
      { detail: chosen },
    );
  }
  const candidates = options.candidates ?? chromiumCandidates(env);
  const found = candidates.find(isExecutableFile);
  if (found) return found;
  throw new InferscopeError(
    'CHROMIUM_NOT_FOUND',
    `No Chrome, Chromium or Edge found to print the PDF with. Install one, or set ${CHROMIUM_ENV} to the path of one; an ` +
      `HTML report needs no browser.`,
    { detail: candidates.join(path.delimiter) },
  );
}
