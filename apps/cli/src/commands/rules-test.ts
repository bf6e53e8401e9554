import { classify, compileRules, evaluate } from '@statuskit/core';
import { accountOf, asOfOption } from '../classify-records.js';
import { EXIT } from '../cli-error.js';
import { loadConfig, parseRulesOrFail, readJson } from '../config.js';
import { scan } from '../scan.js';
import type { ClassifyOptions } from './classify.js';

export interface RulesTestOptions extends ClassifyOptions {
  readonly compare?: string;
  readonly json?: boolean;
  readonly examples?: string;
}

/** `rules test <input> --rules new.json [--compare old.json]`: what each rule does to these accounts. */
export async function rulesTestCommand(input: string, options: RulesTestOptions): Promise<number> {
  const config = loadConfig(options);
  const examples = Number(options.examples ?? 3);
  const old = options.compare
    ? compileRules(parseRulesOrFail(readJson(options.compare, 'rules'), options.compare))
    : undefined;
  const asOf = { asOf: asOfOption(options.asOf) };
  const perRule = config.rules.map((r) => ({
    rule: r.name,
    type: r.event.type,
    fired: 0,
    decided: 0,
    examples: [] as string[],
  }));
  const moves = {
    entering: 0,
    leaving: 0,
    enteringExamples: [] as string[],
    leavingExamples: [] as string[],
  };
  let total = 0;
  let eligible = 0;
  const result = await scan(input, { ...options, required: config.columns }, ({ record }) => {
    const account = accountOf(record, config);
    const c = classify(account, config.catalog);
    const e = evaluate(c, account, config.evaluator, asOf);
    total++;
    if (e.eligible) eligible++;
    for (const reason of e.reasons) {
      if (reason.source !== 'rule') continue;
      const stat = perRule[reason.index];
      if (!stat) continue;
      stat.fired++;
      if (!reason.overridden) {
        stat.decided++;
        if (stat.examples.length < examples) stat.examples.push(account.id);
      }
    }
    if (old) {
      const before = evaluate(c, account, old, asOf);
      if (!before.eligible && e.eligible) {
        moves.entering++;
        if (moves.enteringExamples.length < examples) moves.enteringExamples.push(account.id);
      } else if (before.eligible && !e.eligible) {
        moves.leaving++;
        if (moves.leavingExamples.length < examples) moves.leavingExamples.push(account.id);
      }
    }
  });
  const report = {
    total,
    eligible,
    rules: perRule,
    ...(old ? { compare: moves } : {}),
    malformed: result.bad,
  };
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    const lines = [
      `accounts: ${total.toLocaleString('en-US')}, eligible with these rules: ${eligible.toLocaleString('en-US')}`,
      '',
    ];
    for (const r of perRule) {
      lines.push(
        `${r.type.padEnd(7)} ${r.rule}: fired for ${r.fired.toLocaleString('en-US')}, decided ${r.decided.toLocaleString('en-US')}${r.examples.length ? ` (e.g. ${r.examples.join(', ')})` : ''}`,
      );
    }
    if (old) {
      lines.push('', `compared with ${options.compare}:`);
      lines.push(
        `  entering health: ${moves.entering.toLocaleString('en-US')}${moves.enteringExamples.length ? ` (e.g. ${moves.enteringExamples.join(', ')})` : ''}`,
      );
      lines.push(
        `  leaving health:  ${moves.leaving.toLocaleString('en-US')}${moves.leavingExamples.length ? ` (e.g. ${moves.leavingExamples.join(', ')})` : ''}`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return result.bad > 0 ? EXIT.badRecords : EXIT.ok;
}
