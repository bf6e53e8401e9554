import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CombineInput, combineUpdates, type Mapper, newestPerObject } from '@statuskit/core';
import { chargebeeMapper } from '@statuskit/mapper-chargebee';
import { fieldMapper } from '@statuskit/mapper-field';
import { stripeMapper } from '@statuskit/mapper-stripe';
import { CliError, EXIT } from '../cli-error.js';
import { readJson } from '../config.js';
import { recordsOf } from '../list-objects.js';
import { scan } from '../scan.js';
import { count } from '../words.js';
import { RecordWriter } from '../write-records.js';

const BUILT_IN: Record<string, (config: never) => Mapper> = {
  field: fieldMapper as (config: never) => Mapper,
  stripe: stripeMapper as (config: never) => Mapper,
  chargebee: chargebeeMapper as (config: never) => Mapper,
};

/** The smallest config each built-in mapper takes, shown when `--config` is missing. */
const MINIMAL_CONFIG: Record<string, unknown> = {
  stripe: { plans: [{ status: 'Pro', prices: ['price_1PmPro000000000000000001'] }] },
  chargebee: { plans: [{ status: 'Pro', itemIds: ['pro'] }] },
  field: { field: 'plan', values: { gold: 'Enterprise', silver: 'Pro', trial: 'Trial' } },
};

const README: Record<string, string> = {
  stripe: '@statuskit/mapper-stripe',
  chargebee: '@statuskit/mapper-chargebee',
  field: '@statuskit/mapper-field',
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
  const example = MINIMAL_CONFIG[options.mapper];
  if (!options.config && example)
    throw new CliError(
      `the ${options.mapper} mapper needs --config <file>: a JSON file with at least its plans, for example:\n` +
        `${JSON.stringify(example, null, 2)}\n` +
        `(every key: the ${README[options.mapper]} README)`,
    );
  const mapperConfig = options.config ? readJson(options.config, 'mapper config') : {};
  const mapper = await loadMapper(options.mapper, mapperConfig);
  const skips = new Map<string, number>();
  const shownSkips = new Map<string, number>();
  let updates = 0;
  let records = 0;
  // With `combine`, one account's records resolve into one status, so updates wait for the end of the
  // input; so do the skips that observe an object (a newer skip supersedes its object's older updates).
  const combining = mapper.combine !== undefined && options.combine !== false;
  const pending: CombineInput[] = [];
  const summary = await RecordWriter.writing(options.output, async (writer) => {
    const result = await scan(
      input,
      { ...options, objects: true, afterBatch: () => writer.flush() },
      ({ record, line }) => {
        for (const { record: source, at } of recordsOf(record)) {
          records++;
          const r = mapper.map(source);
          if (r.kind === 'skip') {
            skips.set(r.reason, (skips.get(r.reason) ?? 0) + 1);
            const shown = shownSkips.get(r.reason) ?? 0;
            if (shown < 3 && !options.quiet) {
              shownSkips.set(r.reason, shown + 1);
              const detail = r.issues?.map((i) => `${i.at}: ${i.message}`).join('; ') ?? r.detail ?? '';
              process.stderr.write(
                `${input}:${line}${at}: skip ${r.reason}${r.accountId ? ` (${r.accountId})` : ''}${detail ? `: ${detail}` : ''}\n`,
              );
            }
            if (combining && r.observation) pending.push(r);
            continue;
          }
          updates++;
          if (combining) pending.push(r);
          else writer.writeLine(JSON.stringify(r.update));
        }
      },
    );
    let superseded = 0;
    let written = updates;
    if (combining) {
      superseded = newestPerObject(pending).superseded;
      const combined = combineUpdates(mapper, pending);
      written = combined.length;
      for (const u of combined) {
        writer.writeLine(JSON.stringify(u));
        await writer.flush();
      }
    }
    return { bad: result.bad, superseded, written };
  });
  if (!options.quiet) {
    const { superseded, written } = summary;
    process.stderr.write(
      `mapped ${count(records, 'record')}: ${count(updates, 'update')}` +
        (combining
          ? `${superseded ? ` (${superseded.toLocaleString('en-US')} superseded by a newer record of the same object)` : ''}, written as ${count(written, 'update')}, one per account`
          : '') +
        '\n',
    );
    for (const [reason, n] of [...skips].sort((a, b) => b[1] - a[1]))
      process.stderr.write(`  skipped ${reason}: ${n.toLocaleString('en-US')}\n`);
  }
  return summary.bad > 0 ? EXIT.badRecords : EXIT.ok;
}
