import cliProgress from 'cli-progress';
import { count, rowRate } from './words.js';

export interface Progress {
  /** Call after each batch: redraws at most five times a second. */
  update(records: number): void;
  stop(records: number): void;
}

/**
 * Rows, rows/s and (when the input's size is known) an ETA on stderr, only when stderr is a terminal and
 * not `--quiet`: stdout carries data only.
 */
export function startProgress(
  size: number | undefined,
  bytesRead: () => number,
  quiet: boolean | undefined,
): Progress {
  const started = performance.now();
  if (!process.stderr.isTTY || quiet) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: size ? ' {bar} {percentage}% | {rows} | {speed} | ETA {eta_formatted}' : ' {rows} | {speed}',
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(size ?? 1, 0, { rows: count(0, 'row'), speed: '0.00 s' });
  // Under a second a rate is noise: the time stands in for it.
  const draw = (records: number, now: number) => {
    const seconds = (now - started) / 1000;
    bar.update(size ? Math.min(bytesRead(), size) : 1, {
      rows: count(records, 'row'),
      speed: rowRate(seconds, records) ?? `${seconds.toFixed(2)} s`,
    });
  };
  let lastTick = 0;
  return {
    update(records) {
      const now = performance.now();
      if (now - lastTick > 200) {
        lastTick = now;
        draw(records, now);
      }
    },
    stop(records) {
      draw(records, performance.now());
      if (size) bar.update(size);
      bar.stop();
    },
  };
}
