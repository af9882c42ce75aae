import { Chart, type ChartConfiguration, type ChartType } from 'chart.js';
import { untrack } from 'svelte';
import type { Attachment } from 'svelte/attachments';
import { onColorSchemeChange, readChartTheme, type ChartTheme } from './theme';
import { queueChartWork, dropChartWork } from './work-queue';

/**
 * The one way a chart lives on a canvas: created, updated in place whenever the data it reads
 * changes (no animation, so live data redraws only what changed), recolored when the OS switches
 * light/dark, and destroyed with its canvas.
 *
 * Creating and updating happen in a task of their own per chart (see work-queue.ts), with the
 * newest data when that task runs: a page showing three charts at once, or two live charts
 * redrawn together, then never spends one long task on all of them.
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
    let chart: Chart<TType> | null = null;
    /** The OS switched light/dark since the last draw: only a full configure reads the new colours. */
    let recolor = false;
    const owner = {};

    const draw = (data: TData) => {
      if (!chart) {
        chart = new Chart(canvas, configure(data, readChartTheme(canvas)));
        recolor = false;
        return;
      }
      if (!recolor && patch?.(chart, data)) {
        chart.update('none');
        return;
      }
      recolor = false;
      const next = configure(data, readChartTheme(canvas));
      chart.data = next.data;
      if (next.options) chart.options = next.options;
      chart.update('none');
    };

    $effect(() => {
      const data = getData();
      queueChartWork(owner, () => draw(data));
    });

    const stopWatchingScheme = onColorSchemeChange(() => {
      recolor = true;
      queueChartWork(owner, () => draw(untrack(getData)));
    });

    return () => {
      dropChartWork(owner);
      stopWatchingScheme();
      chart?.destroy();
      chart = null;
    };
  };
}
