import { createHash } from 'node:crypto';
import {
  createClient,
  StatuskitApiError,
  StatuskitNetworkError,
  type StatusUpdateInput,
} from '@statuskit/client';
import { statusUpdateSchema } from '@statuskit/core';
import { CliError, EXIT } from '../cli-error.js';
import { scan } from '../scan.js';
import { count } from '../words.js';

export interface PushOptions {
  readonly url?: string;
  readonly key?: string;
  readonly format?: string;
  readonly onError?: string;
  readonly quiet?: boolean;
  readonly dryRun?: boolean;
  readonly batchSize?: string;
  readonly retries?: string;
}

const KNOWN = new Set(['accountId', 'status', 'observedAt', 'source', 'name', 'attributes']);

/** A source record as an update: CSV cells are strings, so empty optional cells are dropped and extra columns become attributes. */
function toUpdate(record: Record<string, unknown>): unknown {
  const out: Record<string, unknown> = {};
  const attributes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    if (KNOWN.has(k)) {
      if (v === '' && k !== 'status') continue;
      out[k] = v;
    } else attributes[k] = v;
  }
  if (Object.keys(attributes).length && out.attributes === undefined) out.attributes = attributes;
  return out;
}

/**
 * `push <input>`: sends updates in batches. Each batch's Idempotency-Key is derived from its content and
 * number, so a re-run after a crash sends batches the API already has as replays: nothing applies twice.
 */
export async function pushCommand(input: string, options: PushOptions): Promise<number> {
  const url = options.url ?? process.env.STATUSKIT_URL;
  const apiKey = options.key ?? process.env.STATUSKIT_API_KEY;
  if (!options.dryRun && (!url || !apiKey))
    throw new CliError('push needs --url and --key (or STATUSKIT_URL and STATUSKIT_API_KEY)');
  const size = Number(options.batchSize ?? 1000);
  if (!Number.isInteger(size) || size < 1 || size > 10_000)
    throw new CliError('--batch-size must be 1..10000');
  const client =
    url && apiKey
      ? createClient({
          url,
          apiKey,
          retries: Number(options.retries ?? 5),
          onRetry: (r) =>
            options.quiet || process.stderr.write(`retrying batch (${r.reason}) in ${r.delayMs} ms\n`),
        })
      : undefined;
  const counts = { created: 0, changed: 0, unchanged: 0, stale: 0 };
  let batches = 0;
  let replayed = 0;
  let replayedUpdates = 0;
  let invalid = 0;
  let pending: StatusUpdateInput[] = [];
  const send = async () => {
    if (pending.length === 0) return;
    batches++;
    const batch = pending;
    pending = [];
    if (options.dryRun || !client) return;
    const key = `statuskit-push:${createHash('sha256').update(JSON.stringify(batch)).digest('hex').slice(0, 32)}:${batches}`;
    try {
      const result = await client.batch(batch, { idempotencyKey: key });
      // A replayed batch was applied by an earlier run: its answer is the old one, nothing was applied now.
      if (result.replayed) {
        replayed++;
        replayedUpdates += batch.length;
      } else for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] += result.counts[k];
    } catch (error) {
      if (error instanceof StatuskitNetworkError)
        throw new CliError(`the API at ${url} is unreachable: ${error.message}`, EXIT.api);
      if (error instanceof StatuskitApiError)
        throw new CliError(`the API rejected batch ${batches}: ${error.message}`, EXIT.api);
      throw error;
    }
  };
  const result = await scan(input, options, async ({ record, line }) => {
    const parsed = statusUpdateSchema.safeParse(toUpdate(record));
    if (!parsed.success) {
      invalid++;
      if (options.onError === 'fail')
        throw new CliError(
          `${input}:${line}: not a status update: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          EXIT.badRecords,
        );
      if (invalid <= 20)
        process.stderr.write(
          `${input}:${line}: skipped: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; ')}\n`,
        );
      return;
    }
    pending.push(parsed.data as StatusUpdateInput);
    if (pending.length >= size) await send();
  });
  await send();
  const sent = result.records - invalid;
  if (!options.quiet) {
    process.stderr.write(
      options.dryRun
        ? `dry run: ${count(sent, 'update')} in ${count(batches, 'batch', 'batches')} would be sent; nothing was sent\n`
        : `pushed ${count(sent, 'update')} in ${count(batches, 'batch', 'batches')}` +
            `${replayed ? ` (${count(replayed, 'batch', 'batches')}, ${count(replayedUpdates, 'update')}, ${replayed === 1 ? 'was' : 'were'} sent by an earlier run and not applied again)` : ''}` +
            `: ${counts.created} created, ${counts.changed} changed, ${counts.unchanged} unchanged, ${counts.stale} stale\n`,
    );
    if (invalid + result.bad > 0)
      process.stderr.write(
        `skipped ${count(invalid + result.bad, 'record')} that ${invalid + result.bad === 1 ? 'was' : 'were'} malformed or not status updates\n`,
      );
  }
  return invalid + result.bad > 0 ? EXIT.badRecords : EXIT.ok;
}
