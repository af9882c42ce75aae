/**
 * GPU use while a configuration runs: the worker measures the model, the host samples
 * nvidia-smi beside it (the worker cannot see other processes' use of the GPU).
 */
import type { HardwareProfile } from '../../shared/domain/hardware';
import type { ConfigResult } from '../../shared/domain/run';
import { queryNvidiaUsage } from '../hardware';

/** How often nvidia-smi is asked during a configuration. */
export const GPU_POLL_MS = 500;

/** A poller where the machine has an NVIDIA GPU, null elsewhere; it starts at once. */
export function startGpuPolling(hardware: HardwareProfile): GpuPoller | null {
  return hardware.gpus.some((g) => g.vendor === 'nvidia') ? new GpuPoller() : null;
}

/** Samples nvidia-smi while a configuration runs: peak memory, mean utilization and power. */
export class GpuPoller {
  private readonly memory: number[] = [];
  private readonly util: number[] = [];
  private readonly power: number[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  private busy = false;

  constructor() {
    this.timer = setInterval(() => void this.poll(), GPU_POLL_MS);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const usage = await queryNvidiaUsage();
      for (const gpu of usage) {
        if (gpu.memoryUsedBytes !== null) this.memory.push(gpu.memoryUsedBytes);
        if (gpu.utilizationPercent !== null) this.util.push(gpu.utilizationPercent);
        if (gpu.powerDrawWatts !== null) this.power.push(gpu.powerDrawWatts);
      }
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  summary(): ConfigResult['gpu'] {
    if (this.memory.length + this.util.length + this.power.length === 0) return null;
    const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
    return {
      memoryUsedBytes: this.memory.length ? Math.max(...this.memory) : null,
      utilizationPercent: mean(this.util),
      powerDrawWatts: mean(this.power),
    };
  }
}
