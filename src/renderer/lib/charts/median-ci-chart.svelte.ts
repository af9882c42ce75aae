import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  LinearScale,
  LogarithmicScale,
  Tooltip,
  type ChartConfiguration,
  type Plugin,
} from 'chart.js';
import type { Attachment } from 'svelte/attachments';
import { formatMs, NO_CI_TEXT } from '../../../shared/stats/format';
import type { MedianBar } from '../logic/compare-items';
import { chartAttachment } from './attach.svelte';
import { categoryAxisLines, chartText, tooltipFonts, valueAxisLines, type ChartTheme } from './theme';
import { whiskersPlugin, type WithWhiskers } from './whiskers';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LogarithmicScale, Tooltip);

/** Beyond this spread a linear axis shrinks the fast entries to slivers: the axis turns logarithmic. */
const LOG_SPREAD = 20;

type Config = ChartConfiguration<'bar', number[], string[]>;

function cssColor(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function configure(bars: readonly MedianBar[], theme: ChartTheme): Config {
  const accent = cssColor('--accent', '#4f46e5');
  const top = Math.max(0, ...bars.map((bar) => bar.highMs ?? bar.medianMs)) * 1.08 || 1;
  const bottom = Math.min(...bars.map((bar) => bar.lowMs ?? bar.medianMs).filter((ms) => ms > 0));
  const log = Number.isFinite(bottom) && top / bottom > LOG_SPREAD;
  const dataset: Config['data']['datasets'][number] & WithWhiskers = {
    data: bars.map((bar) => bar.medianMs),
    // No whisker where there are too few runs for a CI: never a zero-width one.
    whiskers: bars.map((bar) => (bar.lowMs === null || bar.highMs === null ? null : { low: bar.lowMs, high: bar.highMs })),
    whiskerColor: theme.line,
    // The baseline stands out; the rest share the ordinary bar colour.
    backgroundColor: bars.map((bar) => (bar.baseline ? accent : theme.bar)),
    borderRadius: 3,
    barPercentage: 0.7,
    categoryPercentage: 0.9,
  };
  return {
    type: 'bar',
    data: { labels: bars.map((bar) => bar.label), datasets: [dataset] },
    plugins: [whiskersPlugin as Plugin<'bar'>],
    options: {
      indexAxis: 'y',
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: {
          type: log ? 'logarithmic' : 'linear',
          ...(log ? { min: 10 ** Math.floor(Math.log10(bottom / 1.3)) } : { beginAtZero: true }),
          max: log ? 10 ** Math.ceil(Math.log10(top)) : top,
          ...valueAxisLines(theme),
          title: {
            display: true,
            text: `median latency per request with its 95 % CI${log ? ', log scale' : ''} (shorter is faster)`,
            color: theme.text,
            font: { family: theme.font },
          },
          // A log axis offers a tick at every 1–9 × 10ⁿ: decades keep it legible.
          afterBuildTicks: (scale) => {
            if (log) scale.ticks = scale.ticks.filter((t) => Math.abs(Math.log10(t.value) - Math.round(Math.log10(t.value))) < 1e-9);
          },
          ticks: { ...chartText(theme), maxTicksLimit: 7, callback: (value) => formatMs(Number(value)) },
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
            title: (items) => bars[items[0]?.dataIndex ?? -1]?.label.join(' · ') ?? '',
            label: (item) => {
              const bar = bars[item.dataIndex];
              if (!bar) return '';
              const ci = bar.lowMs === null || bar.highMs === null ? NO_CI_TEXT : `95 % CI ${formatMs(bar.lowMs)}–${formatMs(bar.highMs)}`;
              return `median ${formatMs(bar.medianMs)} (${ci})${bar.baseline ? ' · baseline' : ''}`;
            },
          },
        },
      },
    },
  };
}

/** Medians as horizontal bars with CI whiskers: `<canvas {@attach medianCiChart(() => bars)}>`. */
export function medianCiChart(getBars: () => readonly MedianBar[]): Attachment<HTMLCanvasElement> {
  return chartAttachment(getBars, configure);
}
