/** `1 rule`, `2 rules`, `1,000 rows`: a count with its noun, singular or plural. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? singular : plural}`;
}

/** A rate in rows per second, or undefined under a second: a rate over so short a run is noise. */
export function rowRate(seconds: number, rows: number): string | undefined {
  return seconds < 1 ? undefined : `${Math.round(rows / seconds).toLocaleString('en-US')} rows/s`;
}

/** How long a run took, and its rate from a second on: `in 0.04 s`, `in 2.3 s (1,234,567 rows/s)`. */
export function duration(seconds: number, rows: number): string {
  const rate = rowRate(seconds, rows);
  return rate ? `in ${seconds.toFixed(1)} s (${rate})` : `in ${seconds.toFixed(2)} s`;
}
