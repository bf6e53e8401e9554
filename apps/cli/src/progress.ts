import cliProgress from 'cli-progress';

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
      format: size
        ? ' {bar} {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}'
        : ' {rows} rows | {rate} rows/s',
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(size ?? 1, 0, { rows: 0, rate: 0 });
  const draw = (records: number, now: number) =>
    bar.update(size ? Math.min(bytesRead(), size) : 1, {
      rows: records.toLocaleString('en-US'),
      rate: Math.round(records / Math.max((now - started) / 1000, 1e-3)).toLocaleString('en-US'),
    });
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
