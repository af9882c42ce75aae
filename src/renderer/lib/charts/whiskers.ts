import type { Chart, Plugin } from 'chart.js';

/** A 95 % CI around one drawn value, in the units of the value axis. */
export interface Whisker {
  low: number;
  high: number;
}

/** Datasets that carry intervals: `whiskers[i]` belongs to data point i (null: none to draw). */
export interface WithWhiskers {
  whiskers?: (Whisker | null)[];
  whiskerColor?: string;
}

/**
 * Draws confidence intervals as whiskers with end caps: along x for horizontal bars
 * (indexAxis 'y'), along y otherwise. Chart.js has no error bars of its own.
 */
export const whiskersPlugin: Plugin = {
  id: 'inferscopeWhiskers',
  afterDatasetsDraw(chart: Chart) {
    const horizontal = chart.options.indexAxis === 'y';
    const { ctx } = chart;
    ctx.save();
    chart.data.datasets.forEach((dataset, datasetIndex) => {
      const { whiskers, whiskerColor } = dataset as WithWhiskers;
      const meta = chart.getDatasetMeta(datasetIndex);
      if (!whiskers || meta.hidden) return;
      const valueScale = chart.scales[horizontal ? (meta.xAxisID ?? 'x') : (meta.yAxisID ?? 'y')];
      if (!valueScale) return;
      ctx.strokeStyle = whiskerColor ?? String(chart.options.color ?? '#5d6673');
      ctx.lineWidth = 1.5;
      meta.data.forEach((element, i) => {
        const whisker = whiskers[i];
        if (!whisker) return;
        const a = valueScale.getPixelForValue(whisker.low);
        const b = valueScale.getPixelForValue(whisker.high);
        if (!Number.isFinite(a) || !Number.isFinite(b)) return;
        const cap = 4;
        ctx.beginPath();
        if (horizontal) {
          const y = element.y;
          ctx.moveTo(a, y);
          ctx.lineTo(b, y);
          ctx.moveTo(a, y - cap);
          ctx.lineTo(a, y + cap);
          ctx.moveTo(b, y - cap);
          ctx.lineTo(b, y + cap);
        } else {
          const x = element.x;
          ctx.moveTo(x, a);
          ctx.lineTo(x, b);
          ctx.moveTo(x - cap, a);
          ctx.lineTo(x + cap, a);
          ctx.moveTo(x - cap, b);
          ctx.lineTo(x + cap, b);
        }
        ctx.stroke();
      });
    });
    ctx.restore();
  },
};
