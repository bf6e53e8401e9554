import type { Catalog } from './catalog.js';
import {
  type Account,
  type Classification,
  type ClassifiedType,
  classify,
  type UnknownReason,
} from './classify.js';
import {
  type Eligibility,
  type EligibilityEvaluator,
  type EvaluateOptions,
  evaluate,
  evaluateAsync,
} from './eligibility.js';

/** How many distinct Unknown raw values a summary tracks one by one; the rest are counted together. */
export const UNKNOWN_VALUE_LIMIT = 10_000;

export interface UnknownValueCount {
  /** The raw value as sent (`JSON.stringify` of it when it is not a string). */
  readonly value: string;
  readonly reason: UnknownReason;
  readonly count: number;
}

/** A rule that failed on some accounts of a run (each such account was decided without it). */
export interface RuleErrorCount {
  readonly rule: string;
  readonly index: number;
  /** The first error seen. */
  readonly message: string;
  readonly accounts: number;
  /** The first few accounts it failed on. */
  readonly sampleAccountIds: readonly string[];
}

const RULE_ERROR_SAMPLES = 5;

/** Counts, per rule, the accounts a rule failed on (`ruleErrors` of their eligibility), with the first few ids. */
export class RuleErrorTally {
  readonly #byRule = new Map<
    number,
    { rule: string; message: string; accounts: number; sampleAccountIds: string[] }
  >();

  /**
   * Adds one account's decision (one without failed rules costs one property read). With `weight`, a group
   * of that many accounts decided alike; `accountId` undefined adds no sample (see `addSamples`).
   */
  record(accountId: string | undefined, e: Pick<Eligibility, 'ruleErrors'>, weight = 1): void {
    const errors = e.ruleErrors;
    if (errors === undefined) return;
    for (const r of errors) {
      const seen = this.#byRule.get(r.index);
      if (!seen)
        this.#byRule.set(r.index, {
          rule: r.rule,
          message: r.message,
          accounts: weight,
          sampleAccountIds: accountId === undefined ? [] : [accountId],
        });
      else {
        seen.accounts += weight;
        if (accountId !== undefined && seen.sampleAccountIds.length < RULE_ERROR_SAMPLES)
          seen.sampleAccountIds.push(accountId);
      }
    }
  }

  /** How many more sample account ids the failed rule `index` takes. */
  samplesWanted(index: number): number {
    const r = this.#byRule.get(index);
    return r ? RULE_ERROR_SAMPLES - r.sampleAccountIds.length : 0;
  }

  /** Appends sample ids (the next ones in account order) to the failed rule `index`. */
  addSamples(index: number, ids: readonly string[]): void {
    const r = this.#byRule.get(index);
    if (r) r.sampleAccountIds.push(...ids.slice(0, RULE_ERROR_SAMPLES - r.sampleAccountIds.length));
  }

  /** The failed rules, in rule order. */
  list(): RuleErrorCount[] {
    return [...this.#byRule]
      .sort(([a], [b]) => a - b)
      .map(([index, r]) => ({
        rule: r.rule,
        index,
        message: r.message,
        accounts: r.accounts,
        sampleAccountIds: [...r.sampleAccountIds],
      }));
  }
}

export interface HealthSummary {
  readonly total: number;
  /** Counts by canonical status value (Unknown accounts are not here). */
  readonly byStatus: Readonly<Record<string, number>>;
  readonly byType: Readonly<Record<ClassifiedType, number>>;
  readonly unknown: {
    readonly total: number;
    readonly byReason: Readonly<Record<UnknownReason, number>>;
    /** Unknown raw values, most frequent first: the "what is unmapped?" list. */
    readonly byValue: readonly UnknownValueCount[];
    /** Accounts whose Unknown value was beyond `UNKNOWN_VALUE_LIMIT` distinct values. */
    readonly untrackedValues: number;
  };
  readonly eligible: number;
  readonly excluded: number;
  /** Excluded accounts per deciding reason (`unknown-status`, `cancelled`, `non-customer`, or a rule's reason). */
  readonly excludedByReason: Readonly<Record<string, number>>;
  /** Rules that failed on some accounts, in rule order (empty when every rule evaluated everywhere). */
  readonly ruleErrors: readonly RuleErrorCount[];
}

/** A running health tally: add accounts one at a time (constant memory), read the summary at any point. */
export class HealthTally {
  #total = 0;
  #eligible = 0;
  #byStatus = new Map<string, number>();
  #byType: Record<ClassifiedType, number> = { free: 0, paying: 0, cancelled: 0, unknown: 0 };
  #byReason: Record<UnknownReason, number> = { missing: 0, empty: 0, 'not-in-catalog': 0, 'not-a-string': 0 };
  #byValue = new Map<string, { reason: UnknownReason; count: number }>();
  #untracked = 0;
  #excluded = new Map<string, number>();
  readonly #ruleErrors = new RuleErrorTally();

  constructor(
    private readonly catalog: Catalog,
    private readonly evaluator: EligibilityEvaluator,
    private readonly options: EvaluateOptions = {},
  ) {}

  /** Adds one account with the compiled evaluator (synchronous). */
  add(account: Account): void {
    if (this.evaluator.kind !== 'compiled')
      throw new TypeError('HealthTally.add needs a compiled evaluator; use addAsync');
    const c = classify(account, this.catalog);
    this.record(account, c, evaluate(c, account, this.evaluator, this.options));
  }

  /** Adds one account with any evaluator. */
  async addAsync(account: Account): Promise<void> {
    const c = classify(account, this.catalog);
    this.record(account, c, await evaluateAsync(c, account, this.evaluator, this.options));
  }

  /**
   * Counts an account already classified and evaluated (batch code that keeps the decision too). With
   * `weight`, a group of that many accounts that look alike to the catalog and the rules (the same raw
   * status, and whatever else the rules read); `sample: false` leaves the group's first id out of the failed
   * rules' samples (the caller adds them with `addRuleErrorSamples`).
   */
  record(
    account: Account,
    c: Classification,
    e: Pick<Eligibility, 'eligible' | 'reason' | 'ruleErrors'>,
    weight = 1,
    { sample = true }: { sample?: boolean } = {},
  ): void {
    this.#total += weight;
    this.#byType[c.statusType] += weight;
    if (c.statusType === 'unknown') {
      this.#byReason[c.unknownReason] += weight;
      if (c.unknownReason !== 'missing') {
        const raw = account.status;
        const value = typeof raw === 'string' ? raw : String(JSON.stringify(raw));
        const entry = this.#byValue.get(value);
        if (entry) entry.count += weight;
        else if (this.#byValue.size < UNKNOWN_VALUE_LIMIT)
          this.#byValue.set(value, { reason: c.unknownReason, count: weight });
        else this.#untracked += weight;
      }
    } else {
      this.#byStatus.set(c.status, (this.#byStatus.get(c.status) ?? 0) + weight);
    }
    if (e.eligible) this.#eligible += weight;
    else this.#excluded.set(e.reason, (this.#excluded.get(e.reason) ?? 0) + weight);
    this.#ruleErrors.record(sample ? account.id : undefined, e, weight);
  }

  /** How many more sample account ids the failed rule `index` takes. */
  ruleErrorSamplesWanted(index: number): number {
    return this.#ruleErrors.samplesWanted(index);
  }

  /** Appends sample ids (the next ones in account order) to the failed rule `index`. */
  addRuleErrorSamples(index: number, ids: readonly string[]): void {
    this.#ruleErrors.addSamples(index, ids);
  }

  summary(): HealthSummary {
    const byValue = [...this.#byValue]
      .map(([value, { reason, count }]) => ({ value, reason, count }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    return {
      total: this.#total,
      byStatus: Object.fromEntries(this.#byStatus),
      byType: { ...this.#byType },
      unknown: {
        total: this.#byType.unknown,
        byReason: { ...this.#byReason },
        byValue,
        untrackedValues: this.#untracked,
      },
      eligible: this.#eligible,
      excluded: this.#total - this.#eligible,
      excludedByReason: Object.fromEntries(this.#excluded),
      ruleErrors: this.#ruleErrors.list(),
    };
  }
}

/**
 * Health summary over any number of accounts, streamed from an iterable or async iterable in constant
 * memory (beyond the bounded list of Unknown values).
 */
export async function summarize(
  accounts: Iterable<Account> | AsyncIterable<Account>,
  catalog: Catalog,
  evaluator: EligibilityEvaluator,
  options: EvaluateOptions = {},
): Promise<HealthSummary> {
  const tally = new HealthTally(catalog, evaluator, { asOf: options.asOf ?? Date.now() });
  if (evaluator.kind === 'compiled') {
    for await (const account of accounts) tally.add(account);
  } else {
    for await (const account of accounts) await tally.addAsync(account);
  }
  return tally.summary();
}
