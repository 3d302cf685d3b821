const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/**
 * HH:MM:SS (or HH:MM:SS.mmm), local time, by hand: toLocaleTimeString builds a formatter per call,
 * which showed in the panel's profile at 1,000 frames/s.
 */
export function clock(time: number, millis = false): string {
  const d = new Date(time)
  const base = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  return millis ? `${base}.${pad(d.getMilliseconds(), 3)}` : base
}
