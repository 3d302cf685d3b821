import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import { useColorScheme } from './theme.js'

export interface ChartSeries {
  label: string
  /** A CSS color, or a custom property such as `--ssi-c1`. */
  color: string
}

interface CommonProps {
  series: ChartSeries[]
  height?: number
  testId?: string
  label: string
  yFormat?: (value: number) => string
}

export interface TimeChartProps extends CommonProps {
  /** [x in seconds since the epoch, ...one array per series] */
  data: [number[], ...number[][]]
}

export interface BarChartProps extends CommonProps {
  categories: string[]
  /** One array per series, aligned with `categories`. */
  values: number[][]
}

function cssColor(el: HTMLElement, color: string): string {
  if (!color.startsWith('--')) return color
  return getComputedStyle(el).getPropertyValue(color).trim() || '#888'
}

function axisStyle(el: HTMLElement): Partial<uPlot.Axis> {
  const muted = cssColor(el, '--ssi-muted')
  const grid = cssColor(el, '--ssi-grid-line')
  return {
    stroke: muted,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1, size: 4 },
    font: '11px system-ui, sans-serif',
  }
}

/** Keeps a uPlot instance the width of its container. */
function useUplot(
  build: (el: HTMLDivElement, width: number) => uPlot,
  rebuildKey: string,
  update: (plot: uPlot) => void,
) {
  const ref = useRef<HTMLDivElement>(null)
  const plotRef = useRef<uPlot | null>(null)
  const updateRef = useRef(update)
  updateRef.current = update

  useEffect(() => {
    const el = ref.current
    if (!el) return
    const plot = build(el, Math.max(el.clientWidth, 100))
    plotRef.current = plot
    updateRef.current(plot)
    const observer = new ResizeObserver(() => {
      const width = Math.max(el.clientWidth, 100)
      if (Math.abs(width - plot.width) >= 1) plot.setSize({ width, height: plot.height })
    })
    observer.observe(el)
    return () => {
      observer.disconnect()
      plot.destroy()
      plotRef.current = null
    }
    // build is recreated each render; rebuildKey says when the chart's shape actually changed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rebuildKey])

  useEffect(() => {
    if (plotRef.current) update(plotRef.current)
  })

  return ref
}

/** A line chart over time (the message rates). */
export function TimeChart({ data, series, height = 180, testId, label, yFormat }: TimeChartProps) {
  const scheme = useColorScheme()
  const ref = useUplot(
    (el, width) =>
      new uPlot(
        {
          width,
          height,
          cursor: { drag: { x: false, y: false } },
          legend: { show: true, live: true },
          scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
          axes: [
            { ...axisStyle(el), space: 60 },
            {
              ...axisStyle(el),
              size: 44,
              values: (_u, splits) => splits.map((v) => (yFormat ? yFormat(v) : String(v))),
            },
          ],
          series: [
            {},
            ...series.map((s) => {
              const stroke = cssColor(el, s.color)
              return {
                label: s.label,
                stroke,
                width: 1.5,
                fill: `${stroke}22`,
                points: { show: false },
                value: (_u: uPlot, v: number | null) => (v === null ? '–' : yFormat ? yFormat(v) : String(v)),
              }
            }),
          ],
        },
        data as uPlot.AlignedData,
        el,
      ),
    `${scheme}|${height}|${series.map((s) => s.label).join(',')}`,
    (plot) => plot.setData(data as uPlot.AlignedData),
  )
  return <div className="ssi-chart" ref={ref} data-testid={testId} role="img" aria-label={label} />
}

/** A categorical bar chart (the ack latency histogram). */
export function BarChart({ categories, values, series, height = 200, testId, label, yFormat }: BarChartProps) {
  const scheme = useColorScheme()
  const xs = categories.map((_, i) => i)
  const data = [xs, ...values] as uPlot.AlignedData
  const ref = useUplot(
    (el, width) =>
      new uPlot(
        {
          width,
          height,
          cursor: { drag: { x: false, y: false }, points: { show: false } },
          legend: { show: true, live: true },
          scales: {
            x: { time: false, range: (_u) => [-0.5, Math.max(categories.length - 0.5, 0.5)] },
            y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
          },
          axes: [
            {
              ...axisStyle(el),
              splits: () => categories.map((_, i) => i),
              values: (_u, splits) => splits.map((i) => categories[i] ?? ''),
              gap: 4,
            },
            {
              ...axisStyle(el),
              size: 44,
              values: (_u, splits) => splits.map((v) => (yFormat ? yFormat(v) : String(v))),
            },
          ],
          series: [
            { label: 'bucket', value: (_u, v) => (v === null ? '–' : (categories[v] ?? '')) },
            ...series.map((s) => {
              const color = cssColor(el, s.color)
              return {
                label: s.label,
                stroke: color,
                fill: `${color}bb`,
                width: 1,
                paths: uPlot.paths.bars!({ size: [0.7, 64], gap: 2 }),
                points: { show: false },
              }
            }),
          ],
        },
        data,
        el,
      ),
    `${scheme}|${height}|${categories.join(',')}|${series.map((s) => s.label).join(',')}`,
    (plot) => plot.setData(data),
  )
  return <div className="ssi-chart" ref={ref} data-testid={testId} role="img" aria-label={label} />
}
