#!/usr/bin/env node
// `npm run check:docker` (run by .ci/run). Docker is not on the machines this project is built on, so the
// Dockerfile is checked in two ways instead of by building the image:
//
// 1. Rules read off the file (hadolint's, in spirit): base images pinned by tag (never `latest`), COPY
//    not ADD, absolute WORKDIRs, exec-form CMD, a non-root USER and a HEALTHCHECK in the final stage,
//    `--no-install-recommends` and a cleaned list for apt-get, no sudo, the .dockerignore keeping
//    node_modules, dist and .git out; every environment variable the API reads listed in docs/deploy.md.
// 2. Its steps carried out in a scratch directory: each stage gets a root of its own, where the image's
//    absolute paths (/src, /prod, /app, /data) live; COPY (from the build context, filtered by
//    .dockerignore, or from another stage), WORKDIR, ENV and RUN are done as written, the RUN commands
//    by `sh -c` with those paths mapped. Then the final stage's CMD starts the API as the image would
//    (as an unprivileged user when this runs as root: `nobody`, standing in for the image's `node`),
//    /readyz must answer 200, the HEALTHCHECK command must pass, and SIGTERM must end it with 0.
//
// What it cannot show: that node:20-slim itself behaves like this machine's Node 20 (same major line), and
// anything Docker-specific (layer caching, VOLUME initialisation, the HEALTHCHECK scheduler).
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const repo = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const keep = process.argv.includes('--keep');
const staticOnly = process.argv.includes('--static-only');
const problems = [];
const problem = (line) => problems.push(line);
const step = (line) => process.stderr.write(`docker-check: ${line}\n`);

// ---- the Dockerfile, parsed: continuation lines joined, comments dropped, stages split.
function parseDockerfile(text) {
  const instructions = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (!pending && (line.trim().startsWith('#') || !line.trim())) continue;
    if (pending && line.trim().startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1); // Docker drops the backslash and the newline
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\w+)\s+([\s\S]*)$/.exec(full);
    if (m) instructions.push({ op: m[1].toUpperCase(), args: m[2].trim() });
  }
  const stages = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const [, image, name] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args) ?? [];
      stages.push({ image, name: name ?? `stage${stages.length}`, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.op !== 'ARG') problem(`${ins.op} before the first FROM`);
    } else stages.at(-1).instructions.push(ins);
  }
  return stages;
}

/** Exec form (a JSON array) or shell form of CMD / HEALTHCHECK CMD / RUN. */
const commandOf = (args) => (args.startsWith('[') ? JSON.parse(args) : ['/bin/sh', '-c', args]);

/** ENV in both forms: `ENV A=1 B="two"` and `ENV A 1`. */
function parseEnv(args) {
  const out = {};
  if (!/^\S+=/.test(args)) {
    const [k, ...v] = args.split(/\s+/);
    out[k] = v.join(' ');
    return out;
  }
  for (const m of args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g))
    out[m[1]] = m[2].startsWith('"') ? JSON.parse(m[2]) : m[2];
  return out;
}

// ---- 1. rules read off the files.
const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const final = stages.at(-1);
for (const stage of stages) {
  const { image } = stage;
  if (!stages.some((s) => s.name === image)) {
    if (!/:[^/]+$/.test(image) && !image.includes('@sha256:')) problem(`FROM ${image}: pin the image by tag`);
    if (/:latest$/.test(image)) problem(`FROM ${image}: never latest`);
  }
  for (const { op, args } of stage.instructions) {
    if (op === 'ADD') problem(`ADD ${args}: use COPY (ADD fetches URLs and unpacks archives)`);
    if (op === 'WORKDIR' && !args.startsWith('/')) problem(`WORKDIR ${args}: use an absolute path`);
    if (op === 'RUN' && /\bsudo\b/.test(args)) problem(`RUN uses sudo`);
    if (op === 'RUN' && /apt-get install/.test(args)) {
      if (!args.includes('--no-install-recommends'))
        problem('apt-get install without --no-install-recommends');
      if (!/rm -rf \/var\/lib\/apt\/lists/.test(args))
        problem('apt-get install without removing /var/lib/apt/lists');
      if (!/apt-get update/.test(args)) problem('apt-get install in a RUN without apt-get update');
    }
    if (op === 'RUN' && /\bcd\s/.test(args) && !/&&\s*cd\s|^cd\s/.test(args.trim()))
      problem(`RUN ${args.slice(0, 40)}...: change directory with WORKDIR or within one && chain`);
  }
  const runs = stage.instructions.map((i) => i.op);
  for (let i = 1; i < runs.length; i++)
    if (runs[i] === 'RUN' && runs[i - 1] === 'RUN' && stage === final)
      problem('consecutive RUN instructions in the final stage: combine them into one layer');
}
const finalOps = (op) => final.instructions.filter((i) => i.op === op);
const user = finalOps('USER').at(-1)?.args;
if (!user || /^(root|0)(:|$)/.test(user)) problem('the final stage must switch to a non-root USER');
if (finalOps('HEALTHCHECK').length !== 1) problem('the final stage needs one HEALTHCHECK');
const cmd = finalOps('CMD').at(-1)?.args ?? '';
if (!cmd.startsWith('[')) problem('CMD in exec form (signals reach the process, not a shell)');
const ignore = readFileSync(join(repo, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
for (const must of ['.git', '**/node_modules', '**/dist'])
  if (!ignore.includes(must)) problem(`.dockerignore: add ${must}`);

// Every setting the API and the store read is in docs/deploy.md's table.
const deploy = readFileSync(join(repo, 'docs/deploy.md'), 'utf8');
const documented = new Set([...deploy.matchAll(/^\|\s*`([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1]));
const sources = [
  ...readdirSync(join(repo, 'apps/api/src'), { recursive: true }).map((f) => join('apps/api/src', f)),
  'packages/store/src/open-store.ts',
].filter((f) => f.endsWith('.ts') && !/\.(test|testing)\.ts$/.test(f));
const read = new Set();
for (const f of sources) {
  const text = readFileSync(join(repo, f), 'utf8');
  for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)\b|'((?:STATUSKIT|LOG)_[A-Z0-9_]+)'/g))
    read.add(m[1] ?? m[2]);
}
for (const name of read)
  if (!documented.has(name)) problem(`docs/deploy.md: ${name} is read by the API but not in the table`);
const composeVars = [...readFileSync(join(repo, 'compose.yaml'), 'utf8').matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)]
  .map((m) => m[1])
  .filter((n) => !n.startsWith('POSTGRES_'));
for (const name of composeVars)
  if (!documented.has(name)) problem(`compose.yaml sets ${name}, not in docs/deploy.md`);

if (problems.length > 0 || staticOnly) finish();

// ---- 2. the steps, in a scratch directory.
const ROOTS = ['src', 'prod', 'app', 'data'];
const scratch = mkdtempSync(join(tmpdir(), 'statuskit-docker-'));
chmodSync(scratch, 0o755); // the unprivileged user must reach the runtime stage's files
const stageRoot = (name) => join(scratch, name);
const mapPath = (stage, p) => (p.startsWith('/') ? join(stageRoot(stage), p) : p);
const mapText = (stage, text) =>
  text.replace(
    new RegExp(`(^|[\\s=:;&|("'])/(${ROOTS.join('|')})(?=/|$|[\\s"';&|)])`, 'g'),
    (_, pre, r) => `${pre}${stageRoot(stage)}/${r}`,
  );
const asRoot = process.getuid?.() === 0;
// The image's `node` user does not exist here: as root, `nobody` stands in for it; otherwise, ourselves.
const runUser = asRoot
  ? {
      name: 'nobody',
      uid: Number(execFileSync('id', ['-u', 'nobody']).toString()),
      gid: Number(execFileSync('id', ['-g', 'nobody']).toString()),
    }
  : undefined;

function ignored(rel) {
  return ignore.some((pattern) => {
    const re = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]]/g, '\\$&')
        .replace(/\*\*\//g, '(?:.*/)?')
        .replace(/\*\*/g, '.*')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')}(?:/.*)?$`,
    );
    return re.test(rel);
  });
}
function copyContext(dest) {
  cpSync(repo, dest, {
    recursive: true,
    filter: (src) => {
      const rel = relative(repo, src);
      return rel === '' || !ignored(rel);
    },
  });
}

function run(stage, env, workdir, args) {
  const command = args.startsWith('[')
    ? JSON.parse(args).map((a) => mapText(stage, a))
    : ['/bin/sh', '-c', mapText(stage, args)];
  const shown = args.length > 100 ? `${args.slice(0, 100)}...` : args;
  step(`[${stage}] RUN ${shown.replace(/\s+/g, ' ')}`);
  execFileSync(command[0], command.slice(1), { cwd: workdir, env, stdio: ['ignore', 'inherit', 'inherit'] });
}

const stop = new Error('stopped at the first problem');
const imageEnv = {};
let finalWorkdir = '/';
try {
  for (const stage of stages) {
    // HOME is the stage's /root, as in the image: npm's cache (and `npm cache clean`) stay in the scratch.
    const env = { PATH: process.env.PATH, HOME: join(stageRoot(stage.name), 'root') };
    let workdir = '/';
    mkdirSync(env.HOME, { recursive: true });
    chmodSync(stageRoot(stage.name), 0o755);
    for (const { op, args } of stage.instructions) {
      if (op === 'WORKDIR') {
        workdir = args;
        mkdirSync(mapPath(stage.name, workdir), { recursive: true });
      } else if (op === 'ENV') {
        const values = parseEnv(args);
        for (const [k, v] of Object.entries(values)) env[k] = mapText(stage.name, v);
        if (stage === final) Object.assign(imageEnv, values);
      } else if (op === 'COPY') {
        const flags = [...args.matchAll(/--(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]);
        const paths = args
          .replace(/--\w+=\S+\s*/g, '')
          .trim()
          .split(/\s+/);
        const dest = paths.pop();
        const from = flags.find(([k]) => k === 'from')?.[1];
        const target = dest.startsWith('/')
          ? mapPath(stage.name, dest)
          : join(mapPath(stage.name, workdir), dest);
        for (const src of paths) {
          step(`[${stage.name}] COPY ${from ? `--from=${from} ` : ''}${src} ${dest}`);
          if (from) cpSync(join(stageRoot(from), src), target, { recursive: true });
          else if (src === '.') copyContext(target);
          else cpSync(join(repo, src), target, { recursive: true });
        }
      } else if (op === 'RUN') {
        // Nothing here may change this machine: a global npm install is checked (this machine must already
        // have that npm), not done; `chown node:node X` gives X to the user the API will run as here.
        let command = args.replace(/npm install --global npm@(\S+)\s*&&\s*/g, (_, wanted) => {
          const have = execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim();
          if (have !== wanted) problem(`the image installs npm ${wanted}; this machine has ${have}`);
          else step(`[${stage.name}] npm ${wanted}: this machine's (not installed again)`);
          return '';
        });
        if (/\b(apt-get|apt|useradd|groupadd|adduser|npm (install|i) (-g|--global))\b/.test(command))
          problem(
            `RUN ${command.slice(0, 60)}...: changes the system; teach scripts/docker-check.mjs to check it instead`,
          );
        command = command.replace(/\bchown\s+node:node\s+(\S+)/g, (_, target) =>
          runUser ? `chown ${runUser.uid}:${runUser.gid} ${target}` : 'true',
        );
        if (problems.length > 0) throw stop;
        run(stage.name, env, mapPath(stage.name, workdir), command);
      } else if (
        op === 'USER' ||
        op === 'VOLUME' ||
        op === 'EXPOSE' ||
        op === 'HEALTHCHECK' ||
        op === 'CMD' ||
        op === 'STOPSIGNAL' ||
        op === 'LABEL' ||
        op === 'ARG'
      ) {
        // taken from the final stage below, or nothing to do outside Docker
      } else problem(`${op}: not understood by this check; teach scripts/docker-check.mjs`);
    }
    if (stage === final) finalWorkdir = mapPath(stage.name, workdir);
  }
  if (problems.length > 0) throw stop;

  // ---- the image's start command, as the image's user, on a free port of loopback.
  const port0 = { PORT: '0', HOST: '127.0.0.1' };
  const env = { PATH: process.env.PATH };
  for (const [k, v] of Object.entries(imageEnv)) env[k] = mapText(final.name, v);
  Object.assign(env, port0);
  const [bin, ...argv] = commandOf(cmd);
  step(
    `start: ${[bin, ...argv].join(' ')} as ${runUser?.name ?? 'this user'} (PORT=0 HOST=127.0.0.1 instead of ${imageEnv.PORT}, ${imageEnv.HOST})`,
  );
  const api = spawn(bin, argv, {
    cwd: finalWorkdir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(runUser ? { uid: runUser.uid, gid: runUser.gid } : {}),
  });
  let stdout = '';
  let stderr = '';
  api.stdout.setEncoding('utf8').on('data', (d) => {
    stdout += d;
  });
  api.stderr.setEncoding('utf8').on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve) => api.once('close', (code) => resolve(code)));
  const url = await Promise.race([
    new Promise((resolve) => {
      const look = () => {
        const m = /STATUSKIT_URL=(\S+)\n/.exec(stdout);
        if (m) resolve(m[1]);
      };
      api.stdout.on('data', look);
    }),
    exited.then((code) => {
      throw new Error(`the API exited (${code}) before listening:\n${stderr.slice(-3000)}`);
    }),
  ]);
  const ready = await fetch(`${url}/readyz`);
  const body = await ready.text();
  step(`GET /readyz: ${ready.status} ${body}`);
  if (ready.status !== 200) problem(`/readyz answered ${ready.status}: ${body}`);
  // The HEALTHCHECK command, as the image runs it (in the container, with the container's PORT).
  const health = commandOf(finalOps('HEALTHCHECK')[0].args.replace(/^(--\S+\s+)*CMD\s+/, ''));
  try {
    execFileSync(health[0], health.slice(1), {
      cwd: finalWorkdir,
      env: { ...env, PORT: new URL(url).port },
      stdio: 'inherit',
      ...(runUser ? { uid: runUser.uid, gid: runUser.gid } : {}),
    });
    step('HEALTHCHECK: passed');
  } catch {
    problem('the HEALTHCHECK command failed against the running API');
  }
  for (const line of stderr.split('\n').filter(Boolean))
    try {
      JSON.parse(line);
    } catch {
      problem(`a log line that is not JSON: ${line}`);
    }
  api.kill('SIGTERM');
  const code = await exited;
  step(`SIGTERM: exited ${code}`);
  if (code !== 0) problem(`the API exited ${code} on SIGTERM:\n${stderr.slice(-2000)}`);
} catch (error) {
  if (error !== stop) problem(error instanceof Error ? error.message : String(error));
} finally {
  if (keep) step(`kept ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
finish();

function finish() {
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`docker-check: ${p}\n`);
    process.exit(1);
  }
  step(
    staticOnly
      ? 'rules: ok'
      : "ok: the Dockerfile's steps built and started the API; /readyz and the HEALTHCHECK passed",
  );
  process.exit(0);
}
