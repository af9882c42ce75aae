import type { AppInfo } from '../../../shared/domain/app';
import type { ErrorInfo } from '../../../shared/errors';
import { BackendError, type Backend, type ConnectionState } from '../backend';

/** Turns anything a command threw into the code + message the UI shows. */
export function errorInfoOf(error: unknown): ErrorInfo {
  if (error instanceof BackendError) return error.toInfo();
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

/** Which host the services run in, and whether the link to them is up. */
export class AppController {
  info = $state.raw<AppInfo | null>(null);
  connection = $state<ConnectionState>('connecting');

  constructor(private readonly backend: Backend) {}

  get hostKind(): Backend['kind'] {
    return this.backend.kind;
  }

  /** Subscribes to the connection; returns the cleanup for the component that owns the controller. */
  start(): () => void {
    const stop = this.backend.onConnection((state) => {
      this.connection = state;
    });
    void this.loadInfo();
    return stop;
  }

  private async loadInfo() {
    try {
      this.info = await this.backend.invoke('app.info', {});
    } catch {
      // The header falls back to the backend kind; every view reports its own failures.
    }
  }
}

/**
 * The current view, mirrored in the URL hash (#/hardware) so a reload or a link lands on the
 * same view and end-to-end tests can open a view directly.
 */
export class NavigationController {
  current = $state<string>('');

  constructor(private readonly viewIds: readonly string[]) {
    this.current = viewIds[0] ?? '';
  }

  start(): () => void {
    const sync = () => {
      const id = location.hash.replace(/^#\/?/, '');
      if (this.viewIds.includes(id)) this.current = id;
    };
    sync();
    window.addEventListener('hashchange', sync);
    return () => window.removeEventListener('hashchange', sync);
  }

  go(id: string) {
    if (!this.viewIds.includes(id)) return;
    this.current = id;
    if (location.hash !== `#/${id}`) history.pushState(null, '', `#/${id}`);
  }
}
