import type { Account, Classification, KnownClassification, UnknownReason } from './classify.js';
import type { BuiltInCode, Eligibility, EligibilityReason, RuleError } from './eligibility-types.js';
import type { CompiledEvaluator } from './rules/compile-rules.js';
import { type EngineEvaluator, failedFrom } from './rules/engine-evaluator.js';
import type { FailedRule, FiredRule, RuleFacts } from './rules/rule-types.js';

export type { BuiltInCode, Eligibility, EligibilityReason, RuleError } from './eligibility-types.js';

export type EligibilityEvaluator = CompiledEvaluator | EngineEvaluator;

export interface EvaluateOptions {
  /** The day `daysInStatus` counts to (Date or epoch ms). Defaults to now. */
  readonly asOf?: Date | number;
}

type KnownBuiltIn = Exclude<BuiltInCode, 'unknown-status'>;

/** The built-in verdict's index in BUILT_IN_ORDER: 0 cancelled, 1 non-customer, 2 active customer. */
function builtInIndex(c: KnownClassification): 0 | 1 | 2 {
  return c.statusType === 'cancelled' ? 0 : c.nonCustomer ? 1 : 2;
}

const builtInEligible: Record<KnownBuiltIn, boolean> = {
  cancelled: false,
  'non-customer': false,
  'active-customer': true,
};

const unknownVerdicts = new Map<UnknownReason, Eligibility>();
function unknownVerdict(unknownReason: UnknownReason): Eligibility {
  let v = unknownVerdicts.get(unknownReason);
  if (!v) {
    v = Object.freeze({
      eligible: false,
      decidedBy: 'built-in',
      reason: 'unknown-status',
      reasons: Object.freeze([
        Object.freeze({
          source: 'built-in',
          code: 'unknown-status',
          unknownReason,
          eligible: false,
          overridden: false,
        } as const),
      ]),
    } satisfies Eligibility);
    unknownVerdicts.set(unknownReason, v);
  }
  return v;
}

const decisive = (f: FiredRule): f is FiredRule & { type: 'include' | 'exclude' } =>
  f.type === 'include' || f.type === 'exclude';

const ruleError = (f: FailedRule): RuleError =>
  Object.freeze({
    rule: f.name,
    index: f.index,
    type: f.type as 'include' | 'exclude',
    reason: f.reason ?? f.name,
    priority: f.priority,
    message: f.message,
  });

/**
 * The decision for a known account given the rules that fired: the highest priority among fired
 * include/exclude rules decides, an exclude beating an include at that priority; none fired, the built-in
 * verdict stands. Rules that failed on the account take no part; they are listed in `ruleErrors`.
 */
export function decide(
  builtIn: KnownBuiltIn,
  fired: readonly FiredRule[],
  failed: readonly FailedRule[] = [],
): Eligibility {
  const rules = fired.filter(decisive).sort((x, y) => y.priority - x.priority || x.index - y.index);
  const top = rules[0];
  const errors = failed.length > 0 ? { ruleErrors: Object.freeze(failed.map(ruleError)) } : {};
  if (!top) {
    const eligible = builtInEligible[builtIn];
    return Object.freeze({
      eligible,
      decidedBy: 'built-in',
      reason: builtIn,
      reasons: Object.freeze([
        Object.freeze({ source: 'built-in', code: builtIn, eligible, overridden: false }),
      ]),
      ...errors,
    });
  }
  const topPriority = top.priority;
  const winnerType = rules.some((r) => r.priority === topPriority && r.type === 'exclude')
    ? 'exclude'
    : 'include';
  const winner = rules.find((r) => r.priority === topPriority && r.type === winnerType) as FiredRule;
  const reasons: EligibilityReason[] = [
    { source: 'built-in', code: builtIn, eligible: builtInEligible[builtIn], overridden: true },
    ...rules.map(
      (r): EligibilityReason => ({
        source: 'rule',
        rule: r.name,
        index: r.index,
        type: r.type,
        reason: r.reason ?? r.name,
        priority: r.priority,
        overridden: !(r.priority === topPriority && r.type === winnerType),
      }),
    ),
  ];
  return Object.freeze({
    eligible: winnerType === 'include',
    decidedBy: 'rule',
    reason: winner.reason ?? winner.name,
    rule: winner.name,
    reasons: Object.freeze(reasons.map((r) => Object.freeze(r))),
    ...errors,
  });
}

const DAY_MS = 86_400_000;

/** Epoch ms of a statusObservedAt, NaN when absent or unreadable. */
function observedMs(value: string | Date | number | undefined): number {
  if (value === undefined) return Number.NaN;
  if (typeof value === 'number') return value;
  return value instanceof Date ? value.getTime() : Date.parse(value);
}

/** ISO 8601 of epoch ms; undefined when absent or beyond what a Date holds (a hostile `1e20`). */
function isoOf(ms: number): string | undefined {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function asOfMs(options: EvaluateOptions | undefined): number {
  const asOf = options?.asOf;
  if (asOf === undefined) return Date.now();
  return typeof asOf === 'number' ? asOf : asOf.getTime();
}

function daysBetween(ms: number, asOf: number): number | undefined {
  return Number.isFinite(ms) ? Math.floor((asOf - ms) / DAY_MS) : undefined;
}

const EMPTY_ATTRIBUTES: Readonly<Record<string, unknown>> = Object.freeze({});

/** The facts rules see for an account. */
export function ruleFacts(c: Classification, account: Account, options?: EvaluateOptions): RuleFacts {
  const ms = observedMs(account.statusObservedAt);
  return {
    status: c.status,
    statusType: c.statusType,
    plan: c.plan,
    trial: c.trial,
    nonCustomer: c.nonCustomer,
    attributes: account.attributes ?? EMPTY_ATTRIBUTES,
    statusObservedAt: isoOf(ms),
    daysInStatus: daysBetween(ms, asOfMs(options)),
  };
}

// The hot path indexes built-in verdicts by number: 0 cancelled, 1 non-customer, 2 active customer.
const BUILT_IN_ORDER: readonly KnownBuiltIn[] = ['cancelled', 'non-customer', 'active-customer'];
const DEFAULTS: readonly Eligibility[] = BUILT_IN_ORDER.map((b) => decide(b, []));
const UNKNOWN_VERDICTS: Readonly<Record<UnknownReason, Eligibility>> = {
  missing: unknownVerdict('missing'),
  empty: unknownVerdict('empty'),
  'not-in-catalog': unknownVerdict('not-in-catalog'),
  'not-a-string': unknownVerdict('not-a-string'),
};

const CONTAINED_DECISIONS_LIMIT = 1024;

/**
 * After the rule set failed on an account as a whole: each rule that can fail runs on its own, the failed
 * ones are left out of the decision and listed with their error. Decisions are cached (bounded) by fired
 * rules, built-in verdict and failures, so a batch keeps sharing a few decision objects.
 */
function evaluateContained(
  evaluator: CompiledEvaluator,
  c: Classification,
  b: 0 | 1 | 2,
  attributes: unknown,
  observed: string | undefined,
  days: number | undefined,
): Eligibility {
  const errors: unknown[] = [];
  const result = evaluator.runContained(c, attributes, observed, days, errors);
  const failed = failedFrom(errors, evaluator.meta);
  const key = `${Array.isArray(result) ? result.join(',') : result}|${b}|${failed.map((f) => `${f.index}:${f.message}`).join('|')}`;
  const cache = evaluator.containedDecisions;
  let decision = cache.get(key);
  if (decision === undefined) {
    decision = decide(BUILT_IN_ORDER[b] as KnownBuiltIn, evaluator.firedFrom(result), failed);
    if (cache.size < CONTAINED_DECISIONS_LIMIT) cache.set(key, decision);
  }
  return decision;
}

/**
 * Eligibility of one account with the compiled evaluator, synchronously; never throws. Unknown accounts are
 * never eligible and skip the rules. A rule that fails on the account (instead of failing the whole run, as
 * json-rules-engine would) does not fire and is listed in `ruleErrors`. Decisions are shared
 * immutable objects, cached per set of fired rules.
 */
export function evaluate(
  c: Classification,
  account: Account,
  evaluator: CompiledEvaluator,
  options?: EvaluateOptions,
): Eligibility {
  if (c.statusType === 'unknown') return UNKNOWN_VERDICTS[c.unknownReason];
  const b = builtInIndex(c);
  if (evaluator.ruleCount === 0) return DEFAULTS[b] as Eligibility;
  const { usesObserved, usesDays } = evaluator;
  const ms = usesObserved || usesDays ? observedMs(account.statusObservedAt) : Number.NaN;
  const observed = usesObserved ? isoOf(ms) : undefined;
  const days = usesDays ? daysBetween(ms, asOfMs(options)) : undefined;
  const attributes = account.attributes ?? EMPTY_ATTRIBUTES;
  let result: number | number[] | null;
  try {
    result = evaluator.run(c, attributes, observed, days);
  } catch {
    return evaluateContained(evaluator, c, b, attributes, observed, days);
  }
  if (!result) return DEFAULTS[b] as Eligibility;
  const builtIn = BUILT_IN_ORDER[b] as KnownBuiltIn;
  if (Array.isArray(result)) return decide(builtIn, evaluator.firedFrom(result));
  const key = result * 3 + b;
  const decisions = evaluator.decisions;
  let decision = Array.isArray(decisions) ? decisions[key] : decisions.get(key);
  if (decision === undefined) {
    decision = decide(builtIn, evaluator.firedFrom(result));
    if (Array.isArray(decisions)) decisions[key] = decision;
    else decisions.set(key, decision);
  }
  return decision;
}

/** Eligibility with either evaluator (the engine is asynchronous); never throws. Same answers as `evaluate`. */
export async function evaluateAsync(
  c: Classification,
  account: Account,
  evaluator: EligibilityEvaluator,
  options?: EvaluateOptions,
): Promise<Eligibility> {
  if (evaluator.kind === 'compiled') return evaluate(c, account, evaluator, options);
  if (c.statusType === 'unknown') return UNKNOWN_VERDICTS[c.unknownReason];
  const builtIn = BUILT_IN_ORDER[builtInIndex(c)] as KnownBuiltIn;
  if (evaluator.ruleCount === 0) return decide(builtIn, []);
  const facts = ruleFacts(c, account, options);
  let fired: readonly FiredRule[];
  try {
    fired = await evaluator.fire(facts);
  } catch {
    const contained = await evaluator.fireContained(facts);
    return decide(builtIn, contained.fired, contained.failed);
  }
  return decide(builtIn, fired);
}
