import { Engine, type RuleProperties } from 'json-rules-engine';
import type { EligibilityRule, FailedRule, FiredRule, RuleFacts } from './rule-types.js';

/** Rules as an evaluator receives them: valid `EligibilityRule`s, or any JSON json-rules-engine accepts. */
export type RuleInput = readonly EligibilityRule[] | readonly unknown[];

export interface RuleMeta {
  readonly name: string;
  readonly type: string;
  readonly reason: string | undefined;
  readonly priority: number;
}

/**
 * Builds a json-rules-engine Engine from a private copy of the rules (the engine mutates condition
 * priorities in place) and reads back each rule's name, event and priority exactly as the engine holds them.
 * Throws what the engine throws for a malformed rule, and rejects a priority the engine cannot order.
 */
export function buildEngine(
  rules: RuleInput,
  onFired?: (index: number, almanac: object) => void,
): { engine: Engine; meta: RuleMeta[] } {
  if (!Array.isArray(rules)) throw new TypeError('rules must be an array');
  const copies = structuredClone(rules as unknown[]) as Record<string, unknown>[];
  const engine = new Engine([], { allowUndefinedFacts: false });
  const meta: RuleMeta[] = [];
  copies.forEach((copy, index) => {
    if (copy === null || typeof copy !== 'object') throw new TypeError(`rules[${index}] must be an object`);
    const props = onFired
      ? { ...copy, onSuccess: (_e: unknown, almanac: object) => onFired(index, almanac) }
      : copy;
    engine.addRule(props as unknown as RuleProperties);
    const added = (
      engine as unknown as {
        rules: {
          priority: number;
          name?: unknown;
          ruleEvent: { type: unknown; params?: Record<string, unknown> };
        }[];
      }
    ).rules[index];
    if (!added) throw new Error('json-rules-engine did not register the rule');
    if (!Number.isFinite(added.priority)) {
      throw new TypeError(`rules[${index}].priority must be a number (got ${JSON.stringify(copy.priority)})`);
    }
    const reason = added.ruleEvent.params?.reason;
    meta.push({
      name: added.name === undefined ? `rule ${index + 1}` : String(added.name),
      type: String(added.ruleEvent.type),
      reason: typeof reason === 'string' ? reason : undefined,
      priority: added.priority,
    });
  });
  return { engine, meta };
}

export function firedRule(index: number, meta: RuleMeta): FiredRule {
  return { index, ...meta };
}

/** The rules that fired and the rules that failed, each rule evaluated on its own. */
export interface ContainedFiring {
  readonly fired: readonly FiredRule[];
  readonly failed: readonly FailedRule[];
}

const MESSAGE_LIMIT = 300;

/** A short, printable message for anything thrown. */
export function errorMessage(error: unknown): string {
  let message: string;
  try {
    message = error instanceof Error ? error.message : String(error);
  } catch {
    message = 'the rule threw a value that cannot be printed';
  }
  return message.length > MESSAGE_LIMIT ? `${message.slice(0, MESSAGE_LIMIT - 1)}…` : message;
}

/** Failed rules from `(index, error)` pairs, in rule order. */
export function failedFrom(pairs: readonly unknown[], meta: readonly RuleMeta[]): FailedRule[] {
  const out: FailedRule[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const index = pairs[i] as number;
    out.push({ ...firedRule(index, meta[index] as RuleMeta), message: errorMessage(pairs[i + 1]) });
  }
  return out.sort((a, b) => a.index - b.index);
}

export interface EngineEvaluator {
  readonly kind: 'engine';
  readonly ruleCount: number;
  /** Runs json-rules-engine on one account's facts; resolves with the rules that fired, in rule order. */
  fire(facts: RuleFacts): Promise<readonly FiredRule[]>;
  /** Each rule in an engine of its own: the rules that fired and the rules that failed on these facts. */
  fireContained(facts: RuleFacts): Promise<ContainedFiring>;
}

/**
 * The reference evaluator: json-rules-engine itself. Runs are queued one at a time because an Engine keeps
 * its run status on the instance, so overlapping runs would cut each other short.
 */
export function engineEvaluator(rules: RuleInput): EngineEvaluator {
  const firedBy = new WeakMap<object, number[]>();
  const build = () =>
    buildEngine(rules, (index, almanac) => {
      const list = firedBy.get(almanac);
      if (list) list.push(index);
      else firedBy.set(almanac, [index]);
    });
  let { engine, meta } = build();
  let queue: Promise<unknown> = Promise.resolve();
  const runOnce = async (facts: RuleFacts): Promise<readonly FiredRule[]> => {
    try {
      const { almanac } = await engine.run({ ...facts });
      const indices = (firedBy.get(almanac) ?? []).sort((a, b) => a - b);
      return indices.map((i) => firedRule(i, meta[i] as RuleMeta));
    } catch (error) {
      // A failed run leaves the engine's lower-priority rule sets still settling in the background and
      // they flip the shared run status when done; a fresh engine keeps the next run clean.
      ({ engine, meta } = build());
      throw error;
    }
  };
  // One engine per rule, made on first need (only after a run failed), rebuilt after its own failure.
  const single: ({ engine: Engine; fired: WeakSet<object> } | undefined)[] = [];
  const singleEngine = (index: number) => {
    let s = single[index];
    if (!s) {
      const fired = new WeakSet<object>();
      const { engine } = buildEngine([(rules as readonly unknown[])[index]], (_, almanac) =>
        fired.add(almanac),
      );
      s = { engine, fired };
      single[index] = s;
    }
    return s;
  };
  const runEach = async (facts: RuleFacts): Promise<ContainedFiring> => {
    const fired: FiredRule[] = [];
    const errors: unknown[] = [];
    for (let index = 0; index < meta.length; index++) {
      const s = singleEngine(index);
      try {
        const { almanac } = await s.engine.run({ ...facts });
        if (s.fired.has(almanac)) fired.push(firedRule(index, meta[index] as RuleMeta));
      } catch (error) {
        single[index] = undefined;
        errors.push(index, error);
      }
    }
    return { fired, failed: failedFrom(errors, meta) };
  };
  const queued = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    kind: 'engine',
    ruleCount: meta.length,
    fire: (facts) => queued(() => runOnce(facts)),
    fireContained: (facts) => queued(() => runEach(facts)),
  };
}
