import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaled, startProcess } from '@statuskit/test-support';

/** The built CLI, as `npm run build` leaves it. */
export const cliMain = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'statuskit.js');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A scratch directory inside the package (so a mapper module written there resolves @statuskit/* like an
 * installed one), with helpers that run the built CLI in it as a subprocess.
 */
export function cliSandbox() {
  const dir = mkdtempSync(join(dirname(cliMain), '..', '.test-'));
  return {
    dir,
    remove: () => rmSync(dir, { recursive: true, force: true }),
    file(name: string, content: string | Buffer): string {
      writeFileSync(join(dir, name), content);
      return name;
    },
    cli(args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}): CliRun {
      const { DATABASE_URL: _ignored, ...env } = process.env;
      const r = spawnSync(process.execPath, [cliMain, ...args], {
        cwd: dir,
        input: options.input,
        encoding: 'utf8',
        env: { ...env, ...options.env },
        maxBuffer: 64 << 20,
        timeout: scaled(60_000),
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    /** The same as `cli` without blocking this process (for tests that talk to a server meanwhile). */
    async run(args: readonly string[], options: { env?: Record<string, string> } = {}): Promise<CliRun> {
      const { DATABASE_URL: _ignored, ...env } = process.env;
      const p = startProcess(process.execPath, [cliMain, ...args], {
        cwd: dir,
        env: { ...env, ...options.env },
      });
      const code = await p.exited;
      return { code, stdout: p.stdout, stderr: p.stderr };
    },
  };
}
