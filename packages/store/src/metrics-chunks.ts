import type { Catalog } from '@statuskit/core';
import type { Kysely } from 'kysely';
import { ChunkSizer } from './chunking.js';
import { type DayMetrics, dailyMetrics } from './reports.js';
import type { Database } from './schema.js';

const DAY_MS = 86_400_000;
/** Midnight UTC of a day (Date.UTC would read years below 100 as 19xx). */
const dayStart = (d: Date) => new Date(d.getTime() - (((d.getTime() % DAY_MS) + DAY_MS) % DAY_MS));

/**
 * `dailyMetrics` over a long range, as consecutive ranges of whole days, each its own statements, sized to
 * take about `targetMs` each: every day's figures depend only on that day, so the concatenation is the
 * answer of one call over the whole range. Between chunks other requests get the connection (PGlite) and
 * the request's deadline is checked. Days of one answer may be read a chunk apart, not in one snapshot.
 */
export async function chunkedDailyMetrics(
  db: Kysely<Database>,
  tenantId: string,
  catalog: Catalog,
  from: Date,
  to: Date,
  targetMs: number,
): Promise<DayMetrics[]> {
  const first = dayStart(from).getTime();
  const last = dayStart(to).getTime();
  const days = Math.round((last - first) / DAY_MS) + 1;
  const sizer = new ChunkSizer(targetMs, 2, 1, Math.max(days, 1));
  const out: DayMetrics[] = [];
  for (let start = first; start <= last; ) {
    const n = Math.min(sizer.size, Math.round((last - start) / DAY_MS) + 1);
    const end = start + (n - 1) * DAY_MS;
    out.push(
      ...(await sizer.time('days', n, () =>
        dailyMetrics(db, tenantId, catalog, new Date(start), new Date(end)),
      )),
    );
    start = end + DAY_MS;
  }
  return out;
}
