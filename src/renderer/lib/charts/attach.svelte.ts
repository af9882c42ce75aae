import { Chart, type ChartConfiguration, type ChartType } from 'chart.js';
import { untrack } from 'svelte';
import type { Attachment } from 'svelte/attachments';
import { onColorSchemeChange, readChartTheme, type ChartTheme } from './theme';

/**
 * The one way a chart lives on a canvas: created once, updated in place whenever the data it
 * reads changes (no animation, so live data redraws only what changed), recolored when the OS
 * switches light/dark, and destroyed with its canvas.
 */
export function chartAttachment<TType extends ChartType, TData>(
  getData: () => TData,
  configure: (data: TData, theme: ChartTheme) => ChartConfiguration<TType>,
): Attachment<HTMLCanvasElement> {
  return (canvas) => {
    const chart = untrack(() => new Chart(canvas, configure(getData(), readChartTheme(canvas))));

    const apply = (next: ChartConfiguration<TType>) => {
      chart.data = next.data;
      if (next.options) chart.options = next.options;
      chart.update('none');
    };

    $effect(() => {
      apply(configure(getData(), readChartTheme(canvas)));
    });

    const stopWatchingScheme = onColorSchemeChange(() => {
      apply(untrack(() => configure(getData(), readChartTheme(canvas))));
    });

    return () => {
      stopWatchingScheme();
      chart.destroy();
    };
  };
}
