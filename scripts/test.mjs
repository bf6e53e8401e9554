#!/usr/bin/env node
// `npm test`: every package's tests through turbo with --continue, so one failing package never hides the
// results of the others, then the ten slowest tests of the run, then one closing line a person or a script
// can read:
//   tests: 412 passed, 0 failed
// followed, when something failed, by the failing tasks. Exits non-zero if any test, test file or task
// failed. Extra arguments go to turbo (`npm test -- --filter=@statuskit/core`).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape that starts an ANSI colour code
const ansi = /\x1b\[[0-9;]*m/g;
const args = ['run', 'test', '--continue', ...process.argv.slice(2)];
// Every package's vitest writes its per-test durations here (vitest.shared.ts), for the slowest-tests list.
const timings = mkdtempSync(join(tmpdir(), 'statuskit-test-timings-'));
const turbo = spawn('turbo', args, {
  stdio: ['inherit', 'pipe', 'pipe'],
  env: { TURBO_TELEMETRY_DISABLED: '1', ...process.env, STATUSKIT_TEST_TIMINGS: timings },
});

const totals = { passed: 0, failed: 0, skipped: 0, failedFiles: 0 };
const failedTasks = new Set();
let pending = '';

/** Reads vitest's closing lines ("Tests  2 failed | 40 passed (42)", "Test Files  1 failed | 4 passed (5)"). */
function read(line) {
  const plain = line.replace(ansi, '');
  const tests = /:test:\s+Tests\s+(.*)$/.exec(plain);
  if (tests) {
    for (const [, n, what] of tests[1].matchAll(/(\d+) (passed|failed|skipped)/g)) totals[what] += Number(n);
  }
  const files = /:test:\s+Test Files\s+(.*)$/.exec(plain);
  if (files) totals.failedFiles += Number(/(\d+) failed/.exec(files[1])?.[1] ?? 0);
  // turbo's own lines: "Failed:    @statuskit/api#test, statuskit#test" and "<task>:  ERROR  command ... exited (1)"
  const failed = /^\s*Failed:\s+(.*)$/.exec(plain);
  if (failed) for (const task of failed[1].split(/[,\s]+/).filter(Boolean)) failedTasks.add(task);
  const errored = /^(\S+#\S+):\s+ERROR\s+command .* exited \(\d+\)/.exec(plain);
  if (errored) failedTasks.add(errored[1]);
}

function pipe(stream, out) {
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    out.write(chunk);
    const text = pending + chunk;
    const lines = text.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) read(line);
  });
}
pipe(turbo.stdout, process.stdout);
pipe(turbo.stderr, process.stderr);

turbo.on('error', (error) => {
  process.stderr.write(`npm test: could not run turbo: ${error.message}\n`);
  process.exit(1);
});
turbo.on('close', (code) => {
  read(pending);
  const { passed, failed, skipped, failedFiles } = totals;
  const extra = [
    skipped ? `${skipped} skipped` : '',
    failedFiles ? `${failedFiles} test file${failedFiles === 1 ? '' : 's'} failed to run or failed` : '',
    failedTasks.size ? `failed: ${[...failedTasks].join(', ')}` : '',
  ].filter(Boolean);
  // The slowest tests first, so the output still ends with the summary line.
  printSlowest(10);
  process.stdout.write(
    `\ntests: ${passed} passed, ${failed} failed${extra.length ? ` (${extra.join('; ')})` : ''}\n`,
  );
  const ok = code === 0 && failed === 0 && failedFiles === 0;
  process.exit(ok ? 0 : code || 1);
});

/** The slowest tests of this run (packages replayed from turbo's cache ran nothing and are not listed). */
function printSlowest(count) {
  const tests = [];
  for (const file of readdirSync(timings)) {
    try {
      const report = JSON.parse(readFileSync(join(timings, file), 'utf8'));
      for (const suite of report.testResults ?? []) {
        for (const test of suite.assertionResults ?? []) {
          if (typeof test.duration === 'number') {
            tests.push({
              ms: test.duration,
              where: relative(process.cwd(), suite.name),
              name: test.fullName,
            });
          }
        }
      }
    } catch {
      // a package that crashed before writing its report: its failure is already counted above
    }
  }
  rmSync(timings, { recursive: true, force: true });
  if (tests.length === 0) return;
  tests.sort((a, b) => b.ms - a.ms);
  process.stdout.write(`slowest ${Math.min(count, tests.length)} tests:\n`);
  for (const { ms, where, name } of tests.slice(0, count)) {
    process.stdout.write(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${where} > ${name}\n`);
  }
}
