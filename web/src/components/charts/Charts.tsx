// The usage charts, drawn with Recharts as SVG: a chart over days (bars and lines, stacked or
// not, a second axis for a line of another unit) and a ranking of the largest groups. Each is a
// <figure> with its title as caption; the width follows the card, so a phone gets a narrow chart.

import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Bar, CartesianGrid, ComposedChart, Legend, Line, Tooltip, XAxis, YAxis, BarChart } from 'recharts';

/** One line or bar set of a chart over days. */
export interface Series {
  key: string;
  label: string;
  color: string;
  kind: 'bar' | 'line';
  /** Bars with the same stack id are stacked. */
  stack?: string;
  /** A line of another unit goes on the right axis. */
  right?: boolean;
}

/** One row of a chart's data: a label and numbers by series key. */
export type Point = Record<string, string | number>;

const HEIGHT = 240;

/** The width of the element, following it as it resizes (600 where nothing can measure). */
function useWidth(): [React.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement | null>(null);
  const [width, setWidth] = useState(600);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const measure = () => {
      const w = Math.floor(el.getBoundingClientRect().width);
      if (w > 0) setWidth(w);
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

function Frame({ title, testId, children, width }: { title: string; testId: string; children: (width: number) => ReactNode; width?: number }) {
  const [ref, measured] = useWidth();
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption className="chart-title">{title}</figcaption>
      <div ref={ref} className="chart-body">
        {children(width ?? measured)}
      </div>
    </figure>
  );
}

const axis = { fontSize: 12, fill: 'currentColor' };

/** A chart over days: `data` has one row per day with `x` holding the day's label. */
export function TimeChart(props: {
  title: string;
  testId: string;
  data: Point[];
  x: string;
  series: Series[];
  format?: (value: number) => string;
  formatRight?: (value: number) => string;
  /** Room for the left axis's labels (wider for `1001 MiB`). */
  axisWidth?: number;
}) {
  const { data, x, series, format, formatRight, axisWidth = 56 } = props;
  const hasRight = series.some((s) => s.right);
  return (
    <Frame title={props.title} testId={props.testId}>
      {(width) => (
        <ComposedChart width={width} height={HEIGHT} data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" vertical={false} />
          <XAxis dataKey={x} tick={axis} minTickGap={16} />
          <YAxis yAxisId="left" tick={axis} width={axisWidth} tickFormatter={format} allowDecimals={false} />
          {hasRight ? <YAxis yAxisId="right" orientation="right" tick={axis} width={56} tickFormatter={formatRight} /> : null}
          <Tooltip
            formatter={(value, name, item) => {
              const s = series.find((candidate) => candidate.key === item.dataKey);
              const f = s?.right ? formatRight : format;
              return [typeof value === 'number' && f ? f(value) : String(value), name];
            }}
            contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', color: 'var(--text)' }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {series.map((s) =>
            s.kind === 'bar' ? (
              <Bar key={s.key} dataKey={s.key} name={s.label} fill={s.color} stackId={s.stack} yAxisId={s.right ? 'right' : 'left'} isAnimationActive={false} />
            ) : (
              <Line
                key={s.key}
                dataKey={s.key}
                name={s.label}
                stroke={s.color}
                strokeWidth={2}
                dot={false}
                yAxisId={s.right ? 'right' : 'left'}
                isAnimationActive={false}
              />
            ),
          )}
        </ComposedChart>
      )}
    </Frame>
  );
}

/** The largest groups as horizontal bars, largest on top. */
export function TopChart(props: {
  title: string;
  testId: string;
  data: Point[];
  label: string;
  value: string;
  valueName: string;
  color: string;
  format?: (value: number) => string;
}) {
  const { data, label, value, format } = props;
  const height = Math.max(120, data.length * 32 + 40);
  return (
    <Frame title={props.title} testId={props.testId}>
      {(width) => (
        <BarChart width={width} height={height} data={data} layout="vertical" margin={{ top: 4, right: 16, bottom: 4, left: 4 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" horizontal={false} />
          <XAxis type="number" tick={axis} tickFormatter={format} />
          <YAxis type="category" dataKey={label} tick={axis} width={Math.min(160, Math.round(width * 0.35))} />
          <Tooltip
            formatter={(v, name) => [typeof v === 'number' && format ? format(v) : String(v), name]}
            contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', color: 'var(--text)' }}
          />
          <Bar dataKey={value} name={props.valueName} fill={props.color} isAnimationActive={false} />
        </BarChart>
      )}
    </Frame>
  );
}
