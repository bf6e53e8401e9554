/**
 * json-rules-engine 7.3.1's operators and decorators, reproduced exactly: same validators, same callbacks,
 * same decoration order. Compiled rules call these for decorated operators; plain operators are inlined.
 */
import { DECORATOR_NAMES, OPERATOR_NAMES } from './rule-types.js';

export type OperatorFn = (factValue: unknown, jsonValue: unknown) => boolean;
type Callback = (a: unknown, b: unknown) => boolean;
type Validator = (factValue: unknown) => boolean;
type DecoratorCallback = (a: unknown, b: unknown, next: OperatorFn) => boolean;

interface Loose {
  indexOf(x: unknown): number;
  some(f: (x: unknown) => boolean): boolean;
  every(f: (x: unknown) => boolean): boolean;
}
const loose = (x: unknown) => x as Loose;
const lt = (a: unknown, b: unknown) => (a as number) < (b as number);
const lte = (a: unknown, b: unknown) => (a as number) <= (b as number);

const always: Validator = () => true;
export const isNumeric: Validator = (v) => Number.parseFloat(v as string).toString() !== 'NaN';

const base: Record<string, readonly [Callback, Validator]> = {
  equal: [(a, b) => a === b, always],
  notEqual: [(a, b) => a !== b, always],
  in: [(a, b) => loose(b).indexOf(a) > -1, always],
  notIn: [(a, b) => loose(b).indexOf(a) === -1, always],
  contains: [(a, b) => loose(a).indexOf(b) > -1, Array.isArray],
  doesNotContain: [(a, b) => loose(a).indexOf(b) === -1, Array.isArray],
  lessThan: [lt, isNumeric],
  lessThanInclusive: [lte, isNumeric],
  greaterThan: [(a, b) => lt(b, a), isNumeric],
  greaterThanInclusive: [(a, b) => lte(b, a), isNumeric],
};

const decorators: Record<string, readonly [DecoratorCallback, Validator]> = {
  someFact: [(a, b, next) => loose(a).some((fv) => next(fv, b)), Array.isArray],
  someValue: [(a, b, next) => loose(b).some((jv) => next(a, jv)), always],
  everyFact: [(a, b, next) => loose(a).every((fv) => next(fv, b)), Array.isArray],
  everyValue: [(a, b, next) => loose(b).every((jv) => next(a, jv)), always],
  swap: [(a, b, next) => next(b, a), always],
  not: [(a, b, next) => !next(a, b), always],
};

// Guard against a drift between the name lists and the tables above.
for (const n of OPERATOR_NAMES) if (!base[n]) throw new Error(`operator table lacks ${n}`);
for (const n of DECORATOR_NAMES) if (!decorators[n]) throw new Error(`decorator table lacks ${n}`);

function withValidator(cb: Callback, validator: Validator): OperatorFn {
  return (a, b) => validator(a) && cb(a, b);
}

/**
 * The operator json-rules-engine would use for `name`, or undefined when the engine would report
 * "Unknown operator". Follows OperatorMap.get: peel `decorator:` prefixes until a known operator remains.
 */
export function resolveOperator(name: unknown): OperatorFn | undefined {
  if (typeof name !== 'string') return undefined;
  const chain: (readonly [DecoratorCallback, Validator])[] = [];
  let opName = name;
  while (!Object.hasOwn(base, opName)) {
    const at = opName.indexOf(':');
    if (at <= 0) return undefined;
    const decorator = decorators[opName.slice(0, at)];
    if (!Object.hasOwn(decorators, opName.slice(0, at)) || !decorator) return undefined;
    chain.unshift(decorator);
    opName = opName.slice(at + 1);
  }
  const [cb, validator] = base[opName] as readonly [Callback, Validator];
  let op = withValidator(cb, validator);
  for (const [dcb, dvalidator] of chain) {
    const next = op;
    op = withValidator((a, b) => dcb(a, b, next), dvalidator);
  }
  return op;
}

/** Splits `not:someFact:in` into its decorators and base operator, or undefined if the name is not known. */
export function parseOperator(name: unknown): { decorators: string[]; base: string } | undefined {
  if (typeof name !== 'string' || resolveOperator(name) === undefined) return undefined;
  const parts = name.split(':');
  const baseName = parts.pop() as string;
  return { decorators: parts, base: baseName };
}
