// `statuskit classify` over a generated 1,000,000-row CSV (about 60 bytes a row; BOM, CRLF, quoted fields
// in 2% of rows, a line break inside a field in 1 row of 20,000): rows/s and peak RSS end to end, against
// bare streaming passes of the candidate parsers over the same file, in one run. Each pass runs three
// times and the best counts (this machine is noisy). BENCH_ROWS changes the size.
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import Papa from 'papaparse';
import { inferSchema, initParser } from 'udsv';
import { classifyCommand } from '../dist/commands/classify.js';
import { parseRecordChunk, recordChunks } from '../dist/csv-chunks.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const RUNS = 3;
const dir = mkdtempSync(join(tmpdir(), 'statuskit-bench-'));
const file = join(dir, 'accounts.csv');
const main = new URL('../dist/statuskit.js', import.meta.url).pathname;

async function generate() {
  const out = createWriteStream(file);
  const statuses = ['Pro', 'Trial', 'Enterprise', 'Cancelled', 'Internal-use', 'Gold', '', ' pro '];
  let buf = '\uFEFFid,name,status,region,seats,owner\r\n';
  for (let i = 0; i < ROWS; i++) {
    const name =
      i % 20_000 === 7 ? `"Acme\r\nHoldings ${i}"` : i % 50 === 0 ? `"Acme, ""Intl"" ${i}"` : `Company ${i}`;
    buf += `acct-${i},${name},${statuses[i % 8]},${i % 3 ? 'EU' : 'US'},${i % 40},owner${i % 97}@example.com\r\n`;
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await new Promise((r) => out.once('drain', r));
      buf = '';
    }
  }
  await new Promise((r) => out.end(buf, r));
}

async function best(fn) {
  let seconds = Number.POSITIVE_INFINITY;
  let n = 0;
  for (let run = 0; run < RUNS; run++) {
    const t = performance.now();
    n = await fn();
    seconds = Math.min(seconds, (performance.now() - t) / 1000);
  }
  return { n, seconds };
}

await generate();
const bytes = statSync(file).size;
const bare = {
  'papaparse, streamed (Papa.parse on the file stream)': () =>
    new Promise((resolve) => {
      let n = 0;
      Papa.parse(createReadStream(file), {
        chunk: (r) => {
          n += r.data.length;
        },
        complete: () => resolve(n - 1),
      });
    }),
  "papaparse's parser on record-aligned chunks (statuskit's reader)": async () => {
    let n = 0;
    const state = { header: undefined };
    const count = () => {
      n++;
    };
    for await (const { bytes, dialect } of recordChunks(
      createReadStream(file, { highWaterMark: 1 << 18 }),
      1 << 18,
    ))
      parseRecordChunk(bytes, dialect, state, count, () => {});
    return n;
  },
  'uDSV, streamed (misreads malformed rows silently)': async () => {
    let n = 0;
    let parser;
    const count = () => {
      n++;
    };
    for await (const text of createReadStream(file, { encoding: 'utf8' })) {
      parser ??= initParser(inferSchema(text));
      parser.chunk(text, parser.stringArrs, count);
    }
    parser.end();
    return n;
  },
  'csv-parse (arrays)': async () => {
    let n = 0;
    for await (const _ of createReadStream(file).pipe(parse({ bom: true }))) n++;
    return n - 1;
  },
  'csv-parse (columns: true)': async () => {
    let n = 0;
    for await (const _ of createReadStream(file).pipe(parse({ bom: true, columns: true }))) n++;
    return n;
  },
  'raw newline scan (not a correct parser)': async () => {
    let n = 0;
    for await (const c of createReadStream(file)) {
      for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) n++;
    }
    return n - 1;
  },
};
const results = {};
for (const [name, fn] of Object.entries(bare)) results[name] = await best(fn);
// The same work as the command, in this process: no start-up, measured like the bare passes.
const inProcess = await best(async () => {
  await classifyCommand(file, { output: join(dir, 'out.csv'), quiet: true });
  return ROWS;
});

const classifyRun = (input) => {
  const t = performance.now();
  const run = spawnSync(process.execPath, [main, 'classify', input, '-o', join(dir, 'out.csv'), '--quiet'], {
    env: { ...process.env, STATUSKIT_REPORT_RSS: '1' },
    encoding: 'utf8',
  });
  const seconds = (performance.now() - t) / 1000;
  if (run.status !== 0) throw new Error(`classify failed: ${run.stderr}`);
  return { seconds, rss: Number(/maxRSS=(\d+)/.exec(run.stderr)?.[1] ?? 0) / 1024 };
};
const tiny = join(dir, 'one.csv');
writeFileSync(tiny, 'id,status\r\nacct-1,Pro\r\n');
let startup = Number.POSITIVE_INFINITY;
let wall = Number.POSITIVE_INFINITY;
let rss = 0;
for (let run = 0; run < RUNS; run++) {
  startup = Math.min(startup, classifyRun(tiny).seconds);
  const r = classifyRun(file);
  wall = Math.min(wall, r.seconds);
  rss = Math.max(rss, r.rss);
}

const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(11);
console.log(`\nstatuskit CLI: ${ROWS.toLocaleString('en-US')} rows, ${(bytes / 1e6).toFixed(0)} MB CSV`);
for (const [name, r] of Object.entries(results)) {
  const check = name.startsWith('raw') || r.n === ROWS ? '' : `  (read ${r.n} rows: wrong)`;
  console.log(`  ${name.padEnd(66)} ${fmt(ROWS / r.seconds)} rows/s${check}`);
}
const fastest = Object.entries(results)
  .filter(([k, r]) => !k.startsWith('raw') && r.n === ROWS)
  .sort((a, b) => a[1].seconds - b[1].seconds)[0];
console.log(
  `  ${'statuskit classify: read, classify, evaluate, write CSV (process)'.padEnd(66)} ${fmt(ROWS / wall)} rows/s, peak RSS ${rss.toFixed(0)} MB`,
);
console.log(
  `  ${'  the same in this process (no start-up)'.padEnd(66)} ${fmt(ROWS / inProcess.seconds)} rows/s (start-up of a one-row run: ${(startup * 1000).toFixed(0)} ms)`,
);
console.log(
  `  classify takes ${(wall / fastest[1].seconds).toFixed(2)}x the time of the fastest correct bare parse (${fastest[0]}) as a process, ${(inProcess.seconds / fastest[1].seconds).toFixed(2)}x in this process`,
);
console.log('  targets: >= 1M rows/s end to end, <= 1.3x the fastest correct bare parse, RSS < 150 MB');
rmSync(dir, { recursive: true, force: true });
