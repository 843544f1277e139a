import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
  /** Dashed line (e.g. a p99 beside its p50). */
  dashed?: boolean;
}

export interface TimeChartProps {
  /** Start of each bucket, ISO 8601; the x axis. */
  buckets: string[];
  series: ChartSeries[];
  /** Unit shown on the y axis and in values, e.g. "events/min" or "ms". */
  unit: string;
  testId: string;
  height?: number;
  /** Mark every value with a point (sparse series such as hourly percentiles); else lines only. */
  points?: boolean;
}

/**
 * A time-series chart drawn by uPlot on a canvas (about 50 kB, no dependencies): one line per
 * series, optionally a point per value, gaps where a value is null. It follows its container's
 * width. The legend is the page's own, so it can carry totals and percentiles.
 */
export function TimeChart(props: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const height = props.height ?? 220;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const x = props.buckets.map((b) => Date.parse(b) / 1000);
    const data: uPlot.AlignedData = [x, ...props.series.map((s) => s.values)];
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        { stroke: '#667085', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e4e7ec' } },
        { stroke: '#667085', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e4e7ec' }, label: props.unit, labelSize: 18, size: 56 },
      ],
      series: [
        {},
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          spanGaps: false,
          points: { show: props.points === true, size: 5, fill: s.color },
          ...(s.dashed ? { dash: [6, 4] } : {}),
        })),
      ],
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [props.buckets, props.series, props.unit, props.points, height]);

  return <div ref={box} class="chart" data-testid={props.testId} data-series={props.series.length} />;
}

/** Fixed colours per key, so a status keeps its colour across charts and reloads. */
export const STATUS_COLORS: Record<string, string> = {
  received: '#98a2b3',
  accepted: '#067647',
  rejected: '#b42318',
  duplicate: '#b54708',
  pending: '#98a2b3',
  succeeded: '#067647',
  failed: '#b54708',
  exhausted: '#b42318',
  cancelled: '#667085',
};

/** Endpoint colours for the latency chart, in order of business. */
export const PALETTE = ['#4f46e5', '#0e9384', '#c11574', '#175cd3', '#b54708', '#6941c6', '#067647', '#b42318', '#344054', '#dd2590'];
