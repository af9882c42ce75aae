import type { HardwareProfile, ProviderStatus } from '../../../shared/domain/hardware';
import type { ErrorInfo } from '../../../shared/errors';
import type { Backend } from '../backend';
import { mergeProviders, withLiveStatus } from '../logic/providers';
import { errorInfoOf } from './app.svelte';

/** The machine that runs the models: detected once, refreshed on request, provider rows updated live. */
export class HardwareController {
  profile = $state.raw<HardwareProfile | null>(null);
  /** Provider statuses reported since the current detection started. */
  live = $state.raw<ProviderStatus[]>([]);
  loading = $state(false);
  error = $state.raw<ErrorInfo | null>(null);

  providers: ProviderStatus[] = $derived(mergeProviders(this.profile?.providers ?? [], this.live));

  constructor(private readonly backend: Backend) {}

  start(): () => void {
    return this.backend.on('hardware.provider', (status) => {
      this.live = withLiveStatus(this.live, status);
    });
  }

  /** Detects on first use; later visits show the same profile until a refresh. */
  ensureLoaded() {
    if (!this.profile && !this.loading && !this.error) void this.detect(false);
  }

  refresh() {
    if (!this.loading) void this.detect(true);
  }

  private async detect(refresh: boolean) {
    this.loading = true;
    this.error = null;
    this.live = [];
    try {
      const profile = await this.backend.invoke('hardware.detect', refresh ? { refresh: true } : {});
      this.profile = profile;
      this.live = [];
    } catch (error) {
      this.error = errorInfoOf(error);
    } finally {
      this.loading = false;
    }
  }
}
