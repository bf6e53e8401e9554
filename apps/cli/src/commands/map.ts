import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { combineUpdates, type Mapper, type StatusUpdate } from '@statuskit/core';
import { chargebeeMapper } from '@statuskit/mapper-chargebee';
import { fieldMapper } from '@statuskit/mapper-field';
import { stripeMapper } from '@statuskit/mapper-stripe';
import { CliError, EXIT } from '../cli-error.js';
import { readJson } from '../config.js';
import { scan } from '../scan.js';
import { RecordWriter } from '../write-records.js';

const BUILT_IN: Record<string, (config: never) => Mapper> = {
  field: fieldMapper as (config: never) => Mapper,
  stripe: stripeMapper as (config: never) => Mapper,
  chargebee: chargebeeMapper as (config: never) => Mapper,
};

const isMapper = (v: unknown): v is Mapper =>
  v !== null &&
  typeof v === 'object' &&
  typeof (v as Mapper).map === 'function' &&
  typeof (v as Mapper).name === 'string';

/**
 * A mapper by name (`field`, `stripe`, `chargebee`) or module specifier (`./my-mapper.js`,
 * `@acme/statuskit-mapper-x`). A module exports a mapper (default or `mapper`), or a factory that takes the
 * config (default or `createMapper`).
 */
export async function loadMapper(spec: string, config: unknown): Promise<Mapper> {
  const builtIn = BUILT_IN[spec];
  const build = (factory: (config: never) => unknown) => {
    try {
      return factory(config as never);
    } catch (error) {
      throw new CliError(`mapper ${spec}: ${(error as Error).message}`);
    }
  };
  if (builtIn) return build(builtIn) as Mapper;
  const local = spec.startsWith('.') || isAbsolute(spec);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(local ? pathToFileURL(resolve(spec)).href : spec)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(
      `unknown mapper ${spec}: not field, stripe or chargebee, and not a module that loads (${(error as Error).message.split('\n')[0]})`,
    );
  }
  for (const candidate of [mod.default, mod.mapper, mod.createMapper]) {
    if (isMapper(candidate)) return candidate;
    if (typeof candidate === 'function') {
      const made = build(candidate as (config: never) => unknown);
      if (isMapper(made)) return made;
    }
  }
  throw new CliError(
    `module ${spec} exports no mapper (a default or \`mapper\` export made with defineMapper, or a factory)`,
  );
}

export interface MapOptions {
  readonly mapper: string;
  readonly config?: string;
  readonly output?: string;
  readonly format?: string;
  readonly onError?: string;
  readonly quiet?: boolean;
  readonly combine?: boolean;
}

/** `map --mapper <name|module> --config <file> <input>`: status updates as NDJSON, skips counted by reason. */
export async function mapCommand(input: string, options: MapOptions): Promise<number> {
  const mapperConfig = options.config ? readJson(options.config, 'mapper config') : {};
  const mapper = await loadMapper(options.mapper, mapperConfig);
  const writer = new RecordWriter(options.output);
  const skips = new Map<string, number>();
  const shownSkips = new Map<string, number>();
  let updates = 0;
  // With `combine`, one account's records resolve into one status, so updates wait for the end of the input.
  const combining = mapper.combine !== undefined && options.combine !== false;
  const pending: StatusUpdate[] = [];
  const result = await scan(input, { ...options, afterBatch: () => writer.flush() }, ({ record, line }) => {
    const r = mapper.map(record);
    if (r.kind === 'skip') {
      skips.set(r.reason, (skips.get(r.reason) ?? 0) + 1);
      const shown = shownSkips.get(r.reason) ?? 0;
      if (shown < 3 && !options.quiet) {
        shownSkips.set(r.reason, shown + 1);
        const detail = r.issues?.map((i) => `${i.at}: ${i.message}`).join('; ') ?? r.detail ?? '';
        process.stderr.write(
          `${input}:${line}: skip ${r.reason}${r.accountId ? ` (${r.accountId})` : ''}${detail ? `: ${detail}` : ''}\n`,
        );
      }
      return;
    }
    updates++;
    if (combining) pending.push(r.update);
    else writer.writeLine(JSON.stringify(r.update));
  });
  if (combining) {
    for (const u of combineUpdates(mapper, pending)) {
      writer.writeLine(JSON.stringify(u));
      await writer.flush();
    }
  }
  await writer.close();
  if (!options.quiet) {
    const accounts = combining ? new Set(pending.map((u) => u.accountId)).size : updates;
    process.stderr.write(
      `mapped ${result.records.toLocaleString('en-US')} records: ${updates.toLocaleString('en-US')} updates${combining ? ` for ${accounts.toLocaleString('en-US')} accounts` : ''}\n`,
    );
    for (const [reason, n] of [...skips].sort((a, b) => b[1] - a[1]))
      process.stderr.write(`  skipped ${reason}: ${n.toLocaleString('en-US')}\n`);
  }
  return result.bad > 0 ? EXIT.badRecords : EXIT.ok;
}
