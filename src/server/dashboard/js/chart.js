/**
 * A small time-series chart of one health metric (uPlot, served from the package's own copy):
 * the samples as a line and the warn / critical thresholds as dashed lines. setData on refresh
 * redraws in place (no flicker); the chart follows its box's width.
 */
import uPlot from '../vendor/uplot/uPlot.esm.js';
import { formatMetric, formatTime } from './dom.js';

const HEIGHT = 96;
const MIN_SPAN_S = 600;

/** Axis times as the rest of the page shows them: UTC, hours and minutes (the day when it changes is in the aria label). */
const clock = (seconds) => new Date(seconds * 1000).toISOString().slice(11, 16);

function columns(series, threshold) {
  const xs = series.map((p) => Date.parse(p.at) / 1000);
  const ys = series.map((p) => (p.value === null || p.value === undefined ? null : Number(p.value)));
  const warn = xs.map(() => threshold?.warn ?? null);
  const critical = xs.map(() => threshold?.critical ?? null);
  return [xs, ys, warn, critical];
}

function describe(title, series, unit) {
  if (series.length === 0) return `${title}: no samples yet`;
  const values = series.map((p) => p.value).filter((v) => v !== null && v !== undefined);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const f = (v) => {
    const m = formatMetric(v, unit);
    return `${m.value}${m.unit ? ` ${m.unit}` : ''}`;
  };
  return `${title}: ${series.length} samples from ${formatTime(series[0].at)} to ${formatTime(series.at(-1).at)}, lowest ${f(lo)}, highest ${f(hi)}`;
}

export class MetricChart {
  constructor(box, { title, unit }) {
    this.box = box;
    this.title = title;
    this.unit = unit;
    this.plot = null;
    box.setAttribute('role', 'img');
    this.resize = new ResizeObserver(() => {
      if (this.plot && box.clientWidth > 0) this.plot.setSize({ width: box.clientWidth, height: HEIGHT });
    });
    this.resize.observe(box);
  }

  update(series, threshold) {
    this.box.setAttribute('aria-label', describe(this.title, series, this.unit));
    this.box.dataset.points = String(series.length);
    this.empty ??= this.box.parentElement?.insertBefore(document.createElement('p'), this.box.nextSibling) ?? null;
    if (this.empty) {
      this.empty.className = 'muted chart-empty';
      this.empty.textContent = series.length ? '' : 'No samples yet: the gateway samples every checks cycle.';
      this.empty.hidden = series.length > 0;
    }
    // Nothing to draw: no empty frame either, until the first sample comes.
    this.box.hidden = series.length === 0 && !this.plot;
    if (this.box.hidden) return;
    const data = columns(series, threshold);
    if (this.plot) {
      this.plot.setData(data);
      this.fitTime(data[0]);
      return;
    }
    const tick = (v) => {
      const m = formatMetric(v, this.unit);
      return `${m.value}${m.unit}`;
    };
    this.plot = new uPlot(
      {
        width: Math.max(this.box.clientWidth, 160),
        height: HEIGHT,
        legend: { show: false },
        cursor: { show: true, points: { show: false }, drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [
          { size: 22, font: '10px system-ui, sans-serif', stroke: '#4a5866', grid: { stroke: '#e3e8ee' }, ticks: { show: false }, values: (_u, splits) => splits.map(clock) },
          { size: 56, font: '10px system-ui, sans-serif', stroke: '#4a5866', grid: { stroke: '#e3e8ee' }, ticks: { show: false }, values: (_u, splits) => splits.map(tick) },
        ],
        series: [
          {},
          { label: this.title, stroke: '#1f4e79', width: 2, fill: 'rgba(31, 78, 121, 0.08)', points: { show: series.length < 3, size: 5 } },
          { label: 'warn threshold', stroke: '#9a6700', width: 1, dash: [4, 4], points: { show: false } },
          { label: 'critical threshold', stroke: '#b42318', width: 1, dash: [2, 3], points: { show: false } },
        ],
      },
      data,
      this.box,
    );
    this.fitTime(data[0]);
  }

  /**
   * A few samples close together still get a readable time axis, at least ten minutes wide
   * (uPlot stretches a single point to years, and a scale range function is not asked then).
   */
  fitTime(xs) {
    if (xs.length === 0) return;
    const max = xs[xs.length - 1];
    if (max - xs[0] < MIN_SPAN_S) this.plot.setScale('x', { min: max - MIN_SPAN_S, max: max + 1 });
  }

  dispose() {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }
}
