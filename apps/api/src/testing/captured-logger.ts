// For tests only (not built): a logger whose lines the test reads.
import { Writable } from 'node:stream';
import { createLogger } from '../logger.js';

/** A logger writing into an array of parsed lines. */
export function capturedLogger(options: Parameters<typeof createLogger>[0] = {}) {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      raw.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: 'trace', ...options, destination });
  return {
    logger,
    raw,
    lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
