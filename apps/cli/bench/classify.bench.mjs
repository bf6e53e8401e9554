// `statuskit classify` over a generated 1,000,000-row CSV (about 60 bytes a row, quotes in 2% of rows,
// CRLF): rows/s and peak RSS end to end, against bare streaming passes of the candidate parsers over the
// same file, in one run. BENCH_ROWS changes the size.
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import Papa from 'papaparse';
import { openInput } from '../dist/read-records.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'statuskit-bench-'));
const file = join(dir, 'accounts.csv');
const main = new URL('../dist/main.js', import.meta.url).pathname;

async function generate() {
  const out = createWriteStream(file);
  const statuses = ['Pro', 'Trial', 'Enterprise', 'Cancelled', 'Internal-use', 'Gold', '', ' pro '];
  let buf = '\uFEFFid,name,status,region,seats\r\n';
  for (let i = 0; i < ROWS; i++) {
    const name = i % 50 === 0 ? `"Acme, ""Intl"" ${i}"` : `Company ${i}`;
    buf += `acct-${i},${name},${statuses[i % 8]},${i % 3 ? 'EU' : 'US'},${i % 40}\r\n`;
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await new Promise((r) => out.once('drain', r));
      buf = '';
    }
  }
  await new Promise((r) => out.end(buf, r));
}

async function timed(fn) {
  const t = performance.now();
  const n = await fn();
  return { n, seconds: (performance.now() - t) / 1000 };
}

await generate();
const bytes = statSync(file).size;
const bare = {
  'papaparse (chunk, arrays)': () =>
    new Promise((resolve) => {
      let n = 0;
      Papa.parse(createReadStream(file), {
        chunk: (r) => {
          n += r.data.length;
        },
        complete: () => resolve(n - 1),
      });
    }),
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
  'statuskit reader (papaparse stream, paused per batch)': async () => {
    let n = 0;
    for await (const batch of openInput(file, undefined, { objects: false }).batches(() => {}))
      n += batch.length;
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
for (const [name, fn] of Object.entries(bare)) results[name] = await timed(fn);

const t = performance.now();
const run = spawnSync(process.execPath, [main, 'classify', file, '-o', join(dir, 'out.csv'), '--quiet'], {
  env: { ...process.env, STATUSKIT_REPORT_RSS: '1' },
  encoding: 'utf8',
});
const seconds = (performance.now() - t) / 1000;
if (run.status !== 0) throw new Error(`classify failed: ${run.stderr}`);
const rss = Number(/maxRSS=(\d+)/.exec(run.stderr)?.[1] ?? 0) / 1024;

const rate = (r) => Math.round(ROWS / r.seconds);
const fastestCorrect = Math.max(
  ...Object.entries(results)
    .filter(([k]) => !k.startsWith('raw'))
    .map(([, r]) => rate(r)),
);
console.log(`\nstatuskit CLI: ${ROWS.toLocaleString('en-US')} rows, ${(bytes / 1e6).toFixed(0)} MB CSV`);
for (const [name, r] of Object.entries(results))
  console.log(`  ${name.padEnd(52)} ${rate(r).toLocaleString('en-US').padStart(11)} rows/s`);
const classifyRate = Math.round(ROWS / seconds);
console.log(
  `  ${'statuskit classify (read, classify, evaluate, write CSV)'.padEnd(52)} ${classifyRate.toLocaleString('en-US').padStart(11)} rows/s, peak RSS ${rss.toFixed(0)} MB`,
);
console.log(
  `  classify is ${(fastestCorrect / classifyRate).toFixed(2)}x slower than the fastest correct bare parse (target <= 1.3x, >= 1M rows/s, RSS < 150 MB)`,
);
rmSync(dir, { recursive: true, force: true });
