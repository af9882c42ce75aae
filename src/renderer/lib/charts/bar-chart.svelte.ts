import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip, type ChartConfiguration } from 'chart.js';
import type { Attachment } from 'svelte/attachments';
import { chartAttachment } from './attach.svelte';
import { categoryAxisLines, chartText, tooltipFonts, valueAxisLines, type ChartTheme } from './theme';

// Only what a bar chart needs, so the bundle carries no other chart types.
Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

export interface BarChartData {
  labels: readonly string[];
  values: readonly number[];
  /** Shown in the tooltip after the value, e.g. "nodes". */
  unit?: string;
  /** Formats axis ticks and tooltip values. */
  format?: (value: number) => string;
}

type HorizontalBarConfig = ChartConfiguration<'bar', number[], string>;

function configure(data: BarChartData, theme: ChartTheme): HorizontalBarConfig {
  const format = data.format ?? ((value: number) => value.toLocaleString());
  return {
    type: 'bar',
    data: {
      labels: [...data.labels],
      datasets: [
        {
          data: [...data.values],
          backgroundColor: theme.bar,
          borderRadius: 3,
          barPercentage: 0.8,
          categoryPercentage: 0.9,
        },
      ],
    },
    options: {
      indexAxis: 'y',
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: {
          beginAtZero: true,
          ...valueAxisLines(theme),
          ticks: { ...chartText(theme), precision: 0, callback: (value) => format(Number(value)) },
        },
        y: {
          ...categoryAxisLines(theme),
          ticks: { ...chartText(theme), autoSkip: false },
        },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          ...tooltipFonts(theme),
          callbacks: {
            label: (item) => `${format(item.parsed.x ?? 0)}${data.unit ? ` ${data.unit}` : ''}`,
          },
        },
      },
    },
  };
}

/**
 * A horizontal bar chart as a Svelte attachment: `<canvas {@attach horizontalBarChart(() => data)}>`.
 * The chart is created once, updated in place when the data changes, recolored when the OS
 * switches light/dark, and destroyed with its canvas.
 */
export function horizontalBarChart(getData: () => BarChartData): Attachment<HTMLCanvasElement> {
  return chartAttachment(getData, configure);
}
