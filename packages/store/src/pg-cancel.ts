import pg from 'pg';
import { currentWork, StatementTimeoutError, stopReason } from './work-context.js';

/** PostgreSQL's `query_canceled` (a statement timeout or a cancel request). */
const QUERY_CANCELED = '57014';

type Query = (...args: unknown[]) => unknown;

/**
 * Makes the statements of one pooled client stoppable: a statement of bounded work (see `bounded`) is not
 * started once its work must stop, and is cancelled on the server (`pg_cancel_backend`, from a connection
 * of its own) when the work's signal aborts while it runs (the request timed out or its client went away).
 * The statement answers only after the cancel request has been sent, so the client goes back to the pool
 * with nothing of that statement left running. A statement stopped by the server's own
 * `statement_timeout` becomes a StatementTimeoutError.
 */
export function stoppableQueries(
  client: pg.PoolClient,
  options: { connectionString: string | undefined; statementTimeoutMs: number },
): void {
  const original = client.query.bind(client) as Query;
  const cancel = async () => {
    const admin = new pg.Client({
      connectionString: options.connectionString,
      connectionTimeoutMillis: 10_000,
    });
    try {
      await admin.connect();
      await admin.query('SELECT pg_cancel_backend($1)', [
        (client as pg.PoolClient & { processID: number }).processID,
      ]);
    } finally {
      await admin.end().catch(() => {});
    }
  };
  const bounded = async (args: unknown[]) => {
    const work = currentWork();
    const stop = stopReason(work);
    if (stop) throw stop;
    const signal = work?.signal;
    let cancelling: Promise<void> | undefined;
    const onAbort = () => {
      cancelling = cancel().catch(() => {});
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await (original(...args) as Promise<unknown>);
    } catch (error) {
      if (cancelling) {
        await cancelling;
        throw stopReason(work) ?? error;
      }
      throw translate(error, options.statementTimeoutMs);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (cancelling) await cancelling;
    }
  };
  // Kysely calls query(text, values); anything else (a callback, a cursor) goes through as it is.
  client.query = ((...args: unknown[]) =>
    typeof args[0] === 'string' && typeof args.at(-1) !== 'function'
      ? bounded(args)
      : original(...args)) as typeof client.query;
}

function translate(error: unknown, statementTimeoutMs: number): unknown {
  const e = error as { code?: unknown; message?: unknown };
  if (e?.code === QUERY_CANCELED && typeof e.message === 'string' && e.message.includes('statement timeout'))
    return new StatementTimeoutError(statementTimeoutMs);
  return error;
}
