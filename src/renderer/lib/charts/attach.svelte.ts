import { Chart, type ChartConfiguration, type ChartType } from 'chart.js';
import { untrack } from 'svelte';
import type { Attachment } from 'svelte/attachments';
import { onColorSchemeChange, readChartTheme, type ChartTheme } from './theme';

/**
 * The one way a chart lives on a canvas: created once, updated in place whenever the data it
 * reads changes (no animation, so live data redraws only what changed), recolored when the OS
 * switches light/dark, and destroyed with its canvas.
 *
 * `patch`, where given, updates a live chart cheaply: it puts the new data (and axis bounds) into
 * the chart's existing datasets and options instead of replacing the whole configuration, which
 * makes Chart.js resolve every option again; it returns false when only a full configure will do.
 */
export function chartAttachment<TType extends ChartType, TData>(
  getData: () => TData,
  configure: (data: TData, theme: ChartTheme) => ChartConfiguration<TType>,
  patch?: (chart: Chart<TType>, data: TData) => boolean,
): Attachment<HTMLCanvasElement> {
  return (canvas) => {
    const chart = untrack(() => new Chart(canvas, configure(getData(), readChartTheme(canvas))));

    const apply = (next: ChartConfiguration<TType>) => {
      chart.data = next.data;
      if (next.options) chart.options = next.options;
      chart.update('none');
    };

    let first = true;
    $effect(() => {
      const data = getData();
      // The first run of the effect sees the data the chart was just created with.
      if (first) {
        first = false;
        return;
      }
      if (patch?.(chart, data)) chart.update('none');
      else apply(configure(data, readChartTheme(canvas)));
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
