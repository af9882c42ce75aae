import path from 'node:path';
import { InferscopeError } from '../shared/errors';

/**
 * The files the user chose in a save dialog during this session. A path that arrives from the
 * renderer is only a wish: main writes to it only if it handed that very path out before, so a
 * compromised page cannot make the app write anywhere the user did not pick.
 */
export class SaveGrants {
  readonly #granted = new Set<string>();

  /** Records a path the user picked in a save dialog; returns it as it will be compared later. */
  grant(file: string): string {
    const granted = path.resolve(file);
    this.#granted.add(granted);
    return granted;
  }

  has(file: string): boolean {
    // Relative paths are refused outright: they mean whatever the process's working folder says.
    return path.isAbsolute(file) && this.#granted.has(path.resolve(file));
  }

  /** The granted path, or PATH_NOT_ALLOWED. */
  check(file: string): string {
    if (!this.has(file)) {
      const message = 'The app only saves to a file you chose in a save dialog; choose where to save again.';
      throw new InferscopeError('PATH_NOT_ALLOWED', message, { detail: file });
    }
    return path.resolve(file);
  }
}
