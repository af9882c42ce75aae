import type { GpuDetectContext, GpuSource } from './source';

/**
 * Intel GPUs have no vendor tool that is reliably installed, so they come from the OS's list
 * of display controllers (lspci/sysfs on Linux, systeminformation elsewhere).
 */
export function createIntelSource(ctx: GpuDetectContext): GpuSource {
  return {
    name: 'intel',
    async detect() {
      return (await ctx.displayControllers()).filter((gpu) => gpu.vendor === 'intel');
    },
  };
}
