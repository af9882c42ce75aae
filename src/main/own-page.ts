import { pathToFileURL } from 'node:url';

/** The one page the desktop app shows, and the test every URL that wants to be "ours" must pass. */
export interface OwnPage {
  /** What the window loads. */
  readonly url: string;
  /** True only for the page itself: same URL once query and fragment are dropped, nothing else on its origin. */
  isOwnUrl(url: string): boolean;
}

export interface OwnPageOptions {
  /** app.isPackaged: a packaged app never loads or trusts a dev server, whatever the environment says. */
  packaged: boolean;
  /** ELECTRON_RENDERER_URL, set by `electron-vite dev` to its Vite server. */
  devRendererUrl: string | undefined;
  /** The built renderer's index.html. */
  rendererFile: string;
}

export function ownPage(options: OwnPageOptions): OwnPage {
  const devUrl = options.packaged ? undefined : options.devRendererUrl || undefined;
  const url = devUrl ?? pathToFileURL(options.rendererFile).href;
  const own = pageAddress(url);
  return { url, isOwnUrl: (candidate) => own !== null && pageAddress(candidate) === own };
}

/** The URL without query and fragment, normalised by the URL parser; null when it is no URL at all. */
function pageAddress(url: string): string | null {
  try {
    const parsed = new URL(url);
    parsed.search = '';
    parsed.hash = '';
    return parsed.href;
  } catch {
    return null;
  }
}
