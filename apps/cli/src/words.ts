/** `1 rule`, `2 rules`, `1,000 rows`: a count with its noun, singular or plural. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? singular : plural}`;
}

/**
 * How long a run took, and its rate when that means something: `in 0.04 s` under a second (a rate over
 * so short a run is noise), `in 2.3 s (1,234,567 rows/s)` from a second on.
 */
export function duration(seconds: number, rows: number): string {
  if (seconds < 1) return `in ${seconds.toFixed(2)} s`;
  return `in ${seconds.toFixed(1)} s (${Math.round(rows / seconds).toLocaleString('en-US')} rows/s)`;
}
