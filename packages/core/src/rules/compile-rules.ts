import { JSONPath } from 'jsonpath-plus';
import type { Eligibility } from '../eligibility-types.js';
import {
  buildEngine,
  type ContainedFiring,
  failedFrom,
  firedRule,
  type RuleInput,
  type RuleMeta,
} from './engine-evaluator.js';
import { resolveOperator } from './operators.js';
import type { FactName, FiredRule, RuleFacts } from './rule-types.js';

/**
 * The compiled rule function: `(c, attributes, statusObservedAt, daysInStatus)` where `c` carries
 * `status`, `statusType`, `plan`, `trial` and `nonCustomer` (a Classification or RuleFacts). Returns a
 * bit mask of fired rules (<= 30 rules) or an array of fired indices (null when none fired).
 */
export type CompiledRun = (
  c: Pick<RuleFacts, 'status' | 'statusType' | 'plan' | 'trial' | 'nonCustomer'>,
  attributes: unknown,
  statusObservedAt: string | undefined,
  daysInStatus: number | undefined,
) => number | number[] | null;

/** `CompiledRun` that contains each rule's failure: failed rules do not fire, `(index, error)` pairs go to `errors`. */
export type ContainedRun = (
  c: Pick<RuleFacts, 'status' | 'statusType' | 'plan' | 'trial' | 'nonCustomer'>,
  attributes: unknown,
  statusObservedAt: string | undefined,
  daysInStatus: number | undefined,
  errors: unknown[],
) => number | number[] | null;

export interface CompiledEvaluator {
  readonly kind: 'compiled';
  readonly ruleCount: number;
  /** Facts the rules read; callers skip computing the others (`daysInStatus` needs a date parse). */
  readonly usesFacts: ReadonlySet<FactName>;
  /** Same answer as `engineEvaluator(rules).fire(facts)`, synchronously. Throws where the engine rejects. */
  fire(facts: RuleFacts): readonly FiredRule[];
  /**
   * Each rule on its own: the rules that fired, and the rules that failed on these facts (with the error)
   * instead of failing the whole run. Same answer as `engineEvaluator(rules).fireContained(facts)`.
   */
  fireContained(facts: RuleFacts): ContainedFiring;
  /** @internal `fireContained` for batch loops (see `run`). */
  readonly runContained: ContainedRun;
  /** @internal Decisions with failed rules, by fired rules, verdict and failures (bounded). */
  readonly containedDecisions: Map<string, Eligibility>;
  /** The generated function, for batch loops that avoid building a facts object per account. */
  readonly run: CompiledRun;
  /** Turns `run`'s result into fired rules. */
  firedFrom(result: number | number[] | null): readonly FiredRule[];
  readonly meta: readonly RuleMeta[];
  /** @internal Whether the rules read `statusObservedAt` / `daysInStatus` (so callers compute them). */
  readonly usesObserved: boolean;
  readonly usesDays: boolean;
  /**
   * @internal Decisions already made, indexed by fired-rule mask * 3 + built-in verdict (see `evaluate`):
   * a dense array for up to 10 rules, a Map above.
   */
  readonly decisions: (Eligibility | undefined)[] | Map<number, Eligibility>;
}

const MASK_LIMIT = 30;
const NO_FIRED: readonly FiredRule[] = Object.freeze([]);

const FACT_CODE: Record<FactName, string> = {
  status: 'c.status',
  statusType: 'c.statusType',
  plan: 'c.plan',
  trial: 'c.trial',
  nonCustomer: 'c.nonCustomer',
  attributes: 'A',
  statusObservedAt: 'O',
  daysInStatus: 'D',
};

/** Paths the compiler resolves itself: `$`, then `.name`, `[0]` or `['name with spaces']` segments. */
const SIMPLE_PATH = /^\$(?:\.[A-Za-z0-9_-]+|\[[0-9]+\]|\['[A-Za-z0-9_ -]+'\])*$/;
const SEGMENT = /\.([A-Za-z0-9_-]+)|\[([0-9]+)\]|\['([A-Za-z0-9_ -]+)'\]/g;

function simplePathSegments(path: string): string[] | undefined {
  if (!SIMPLE_PATH.test(path)) return undefined;
  const out: string[] = [];
  for (const m of path.slice(1).matchAll(SEGMENT)) out.push((m[1] ?? m[2] ?? m[3]) as string);
  return out;
}

class UndefinedFactError extends Error {
  override readonly name = 'UndefinedFactError';
}

/** Runtime helpers the generated code calls; none of them is built from rule text. */
const helpers = {
  /** Any other path: the engine's own resolver. */
  jsonPath(x: unknown, path: unknown): unknown {
    if (x === null || typeof x !== 'object') return x;
    return JSONPath({ path: path as string, json: x as object, wrap: false });
  },
  undefinedFact(name: unknown): never {
    throw new UndefinedFactError(`Undefined fact: ${String(name)}`);
  },
  noCondition(name: unknown): never {
    throw new Error(`No condition ${String(name)} exists`);
  },
  unknownOperator(name: unknown): never {
    throw new Error(`Unknown operator: ${String(name)}`);
  },
  hasOwn: Object.hasOwn,
  /** json-rules-engine's numberValidator; a number is numeric unless NaN, without the string round trip. */
  isNumeric(v: unknown): boolean {
    if (typeof v === 'number') return !Number.isNaN(v);
    return Number.parseFloat(v as string).toString() !== 'NaN';
  },
  inList(a: unknown, b: unknown): boolean {
    return (b as { indexOf(x: unknown): number }).indexOf(a) > -1;
  },
};

interface Code {
  readonly code: string;
  readonly mayThrow: boolean;
  /** The value may be an object, whose conversion to a string can throw (an object without a prototype). */
  readonly objectish?: boolean;
}

const SCALAR_FACTS: ReadonlySet<string> = new Set<FactName>([
  'status',
  'statusType',
  'plan',
  'trial',
  'nonCustomer',
  'statusObservedAt',
  'daysInStatus',
]);

const own = (o: object, k: string) => Object.hasOwn(o, k);
const isBoolean = (n: unknown) =>
  own(n as object, 'any') || own(n as object, 'all') || own(n as object, 'not');

class Generator {
  readonly constants: unknown[] = [];
  readonly uses = new Set<FactName>();
  temps = 0;

  constant(value: unknown): string {
    this.constants.push(value);
    return `k${this.constants.length - 1}`;
  }

  fact(name: unknown, path: unknown): Code {
    if (typeof name !== 'string' || !own(FACT_CODE, name)) {
      return { code: `H.undefinedFact(${this.constant(name)})`, mayThrow: true, objectish: true };
    }
    const fact = name as FactName;
    this.uses.add(fact);
    const base = FACT_CODE[fact];
    const objectish = !SCALAR_FACTS.has(fact);
    if (!path) return { code: base, mayThrow: false, objectish };
    const segments = typeof path === 'string' ? simplePathSegments(path) : undefined;
    if (segments) return { code: this.inlinePath(base, segments), mayThrow: false, objectish };
    return { code: `H.jsonPath(${base}, ${this.constant(path)})`, mayThrow: true, objectish };
  }

  /**
   * A property chain written out: `(x = A, x !== null && typeof x === 'object' ? step... : x)`, where each
   * step follows an own property of a truthy value, as jsonpath-plus does. Segment names are constants.
   */
  inlinePath(base: string, segments: readonly string[]): string {
    const x = `t${this.temps++}`;
    if (segments.length === 0) return base;
    let walk = x;
    for (const segment of segments) {
      const k = this.constant(segment);
      const v = `t${this.temps++}`;
      const w = `t${this.temps++}`;
      // Fast and still exact: read through the inline cache, and settle own-ness with hasOwn only when
      // the value came from something other than a plain object (a plain object cannot inherit a name
      // that Object.prototype lacks). An undefined read is undefined either way.
      walk =
        segment in Object.prototype
          ? `((${v} = ${walk}) && hasOwn(${v}, ${k}) ? ${v}[${k}] : undefined)`
          : `((${v} = ${walk}) && (${w} = ${v}[${k}]) !== undefined && (getProto(${v}) === OP || hasOwn(${v}, ${k})) ? ${w} : undefined)`;
    }
    return `((${x} = ${base}) !== null && typeof ${x} === 'object' ? ${walk} : ${x})`;
  }

  value(value: unknown): Code {
    if (value !== null && typeof value === 'object' && own(value, 'fact')) {
      const ref = value as { fact: unknown; path?: unknown };
      return this.fact(ref.fact, ref.path);
    }
    return { code: this.constant(value), mayThrow: false };
  }

  factCondition(node: Record<string, unknown>): Code {
    const lhs = this.fact(node.fact, node.path);
    const rhs = this.value(node.value);
    const mayThrow = lhs.mayThrow || rhs.mayThrow;
    const a = lhs.code;
    // The engine always resolves both sides; bind a side that may throw so no operator can skip it.
    let prelude = '';
    let b = rhs.code;
    if (rhs.mayThrow) {
      const tb = `t${this.temps++}`;
      prelude = `(${tb} = ${rhs.code}), `;
      b = tb;
    }
    const op = node.operator;
    if (resolveOperator(op) === undefined) {
      return { code: `H.unknownOperator(${this.constant(op)})`, mayThrow: true };
    }
    const rhsIsList = !rhs.mayThrow && (typeof node.value === 'string' || Array.isArray(node.value));
    const rhsIsConst = !(node.value !== null && typeof node.value === 'object' && own(node.value, 'fact'));
    const code = (expr: string, throws = mayThrow): Code => ({
      code: `(${prelude}${expr})`,
      mayThrow: throws,
    });
    // Converting an object to a string throws when it has no prototype: numeric operators convert both
    // sides, `in` against a string converts the fact.
    const converts = lhs.objectish === true || rhs.objectish === true;
    const numeric = (cmp: string): Code => {
      // Evaluate the fact once: the validator and the comparison both read it.
      const t = `t${this.temps++}`;
      const valid = `(typeof ${t} === 'number' ? ${t} === ${t} : isNumeric(${t}))`;
      return code(`(${t} = ${a}), ${valid} && ${t} ${cmp} ${b}`, mayThrow || converts);
    };
    const listThrows =
      mayThrow || !(rhsIsList && rhsIsConst) || (typeof node.value === 'string' && lhs.objectish === true);
    switch (op) {
      case 'equal':
        return code(`${a} === ${b}`);
      case 'notEqual':
        return code(`${a} !== ${b}`);
      case 'in':
        return code(listThrows ? `H.inList(${a}, ${b})` : `${b}.indexOf(${a}) > -1`, listThrows);
      case 'notIn':
        return code(listThrows ? `!H.inList(${a}, ${b})` : `${b}.indexOf(${a}) === -1`, listThrows);
      case 'contains': {
        const t = `t${this.temps++}`;
        return code(`(${t} = ${a}), Array.isArray(${t}) && ${t}.indexOf(${b}) > -1`);
      }
      case 'doesNotContain': {
        const t = `t${this.temps++}`;
        return code(`(${t} = ${a}), Array.isArray(${t}) && ${t}.indexOf(${b}) === -1`);
      }
      case 'lessThan':
        return numeric('<');
      case 'lessThanInclusive':
        return numeric('<=');
      case 'greaterThan':
        return numeric('>');
      case 'greaterThanInclusive':
        return numeric('>=');
      default: {
        // Decorated operators (`not:in`, `someFact:equal`, ...) run through the engine's own definitions.
        const fn = this.constant(resolveOperator(op));
        return code(`${fn}(${a}, ${b})`, true);
      }
    }
  }

  /** A nested condition, checked the way Rule.evaluate does: reference, then boolean, then comparison. */
  condition(node: unknown): Code {
    const n = node as Record<string, unknown>;
    if (own(n, 'condition')) return { code: `H.noCondition(${this.constant(n.condition)})`, mayThrow: true };
    return this.booleanOrFact(n);
  }

  booleanOrFact(n: Record<string, unknown>): Code {
    if (own(n, 'any')) return this.group(n.any as unknown[], 'any');
    if (own(n, 'all')) return this.group(n.all as unknown[], 'all');
    if (own(n, 'not')) {
      const inner = this.condition(n.not);
      return { code: `!(${inner.code})`, mayThrow: inner.mayThrow };
    }
    return this.factCondition(n);
  }

  /**
   * all/any: conditions run in priority sets, highest first; a set's conditions are all evaluated (so an
   * error anywhere in an evaluated set fails the run), and later sets are skipped once the answer is known.
   */
  group(children: unknown[], op: 'all' | 'any'): Code {
    if (children.length === 0) return { code: 'true', mayThrow: false };
    if (children.length === 1) return this.condition(children[0]);
    // Grouped and ordered with the engine's own expressions (Rule.prioritizeConditions): a boolean
    // condition's priority is parseInt(p) || 1, any other keeps its raw priority when truthy.
    const sets: Record<string, unknown[]> = {};
    for (const child of children) {
      const c = child as { priority?: unknown };
      const raw = isBoolean(child) ? Number.parseInt(c.priority as string, 10) || 1 : c.priority;
      const key = String(raw || 1);
      const set = sets[key];
      if (set) set.push(child);
      else sets[key] = [child];
    }
    const join = op === 'all' ? ' && ' : ' || ';
    let mayThrow = false;
    const setCodes = Object.keys(sets)
      .sort((x, y) => (Number(x) > Number(y) ? -1 : 1))
      .map((key) => {
        const codes = (sets[key] as unknown[]).map((c) => this.condition(c));
        const throwing = codes.filter((c) => c.mayThrow);
        if (throwing.length === 0) return `(${codes.map((c) => c.code).join(join)})`;
        mayThrow = true;
        const forced = throwing.map((c) => {
          const t = `t${this.temps++}`;
          return { t, assign: `(${t} = ${c.code})` };
        });
        const rest = codes.filter((c) => !c.mayThrow).map((c) => c.code);
        return `(${forced.map((f) => f.assign).join(', ')}, ${[...forced.map((f) => f.t), ...rest].join(join)})`;
      });
    return { code: `(${setCodes.join(join)})`, mayThrow };
  }

  /** The root of a rule, checked the way Rule.evaluate does: any, all, not, else a condition reference. */
  root(conditions: unknown): Code {
    const n = conditions as Record<string, unknown>;
    if (own(n, 'any') || own(n, 'all') || own(n, 'not')) return this.booleanOrFact(n);
    return { code: `H.noCondition(${this.constant(n.condition)})`, mayThrow: true };
  }
}

/**
 * Compiles eligibility rules into one synchronous function with json-rules-engine's exact semantics.
 * Rule values are never written into the generated source: they are bound as constants (`k0`, `k1`, ...),
 * so a hostile string in a rule is only ever data.
 */
export function compileRules(rules: RuleInput): CompiledEvaluator {
  // The engine validates structure exactly as it would at run time; its errors are ours.
  const { meta } = buildEngine(rules);
  const gen = new Generator();
  const useMask = meta.length <= MASK_LIMIT;
  const tests = (rules as readonly unknown[]).map((rule) =>
    gen.root((rule as { conditions: unknown }).conditions),
  );
  const fire = (test: Code, index: number) =>
    useMask ? `if (${test.code}) m |= ${2 ** index};` : `if (${test.code}) (m || (m = [])).push(${index});`;
  const names = gen.constants.map((_, i) => `k${i}`);
  const temps = Array.from({ length: gen.temps }, (_, i) => `t${i}`);
  const fn = (name: string, params: string, body: string[]) => [
    `function ${name}(${params}) {`,
    temps.length ? `  let ${temps.join(', ')};` : '',
    useMask ? '  let m = 0;' : '  let m = null;',
    ...body.map((line) => `  ${line}`),
    '  return m;',
    '}',
  ];
  const source = [
    '"use strict";',
    'const hasOwn = H.hasOwn, isNumeric = H.isNumeric, getProto = Object.getPrototypeOf, OP = Object.prototype;',
    names.length ? `const ${names.map((n, i) => `${n} = K[${i}]`).join(', ')};` : '',
    // The fast path fails as a whole, like the engine; the contained one (used only after a failure) runs
    // each rule that can fail in its own try, recording (index, error) pairs in E.
    ...fn('compiledRules', 'c, A, O, D', tests.map(fire)),
    ...fn(
      'compiledRulesContained',
      'c, A, O, D, E',
      tests.map((test, index) =>
        test.mayThrow ? `try { ${fire(test, index)} } catch (e) { E.push(${index}, e); }` : fire(test, index),
      ),
    ),
    'return [compiledRules, compiledRulesContained];',
  ].join('\n');
  const [run, runContained] = new Function('K', 'H', source)(gen.constants, helpers) as [
    CompiledRun,
    ContainedRun,
  ];
  const fired = (index: number) => firedRule(index, meta[index] as RuleMeta);
  const firedFrom = (result: number | number[] | null): readonly FiredRule[] => {
    if (!result) return NO_FIRED;
    if (Array.isArray(result)) return result.map(fired);
    const out: FiredRule[] = [];
    for (let i = 0; i < meta.length; i++) if (result & (2 ** i)) out.push(fired(i));
    return out;
  };
  return {
    kind: 'compiled',
    ruleCount: meta.length,
    usesFacts: gen.uses,
    run,
    firedFrom,
    meta,
    decisions:
      meta.length <= 10
        ? new Array<Eligibility | undefined>(3 * 2 ** meta.length).fill(undefined)
        : new Map(),
    usesObserved: gen.uses.has('statusObservedAt'),
    usesDays: gen.uses.has('daysInStatus'),
    fire: (facts) => firedFrom(run(facts, facts.attributes, facts.statusObservedAt, facts.daysInStatus)),
    runContained,
    fireContained(facts) {
      const errors: unknown[] = [];
      const result = runContained(
        facts,
        facts.attributes,
        facts.statusObservedAt,
        facts.daysInStatus,
        errors,
      );
      return { fired: firedFrom(result), failed: failedFrom(errors, meta) };
    },
    containedDecisions: new Map(),
  };
}
