/** The facts a rule can name. */
export const FACT_NAMES = [
  'status',
  'statusType',
  'plan',
  'trial',
  'nonCustomer',
  'attributes',
  'statusObservedAt',
  'daysInStatus',
] as const;
export type FactName = (typeof FACT_NAMES)[number];

/** json-rules-engine's built-in operators. */
export const OPERATOR_NAMES = [
  'equal',
  'notEqual',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
] as const;
export type OperatorName = (typeof OPERATOR_NAMES)[number];

/** json-rules-engine's built-in operator decorators, written `decorator:operator` (`not:in`, `someFact:equal`). */
export const DECORATOR_NAMES = ['someFact', 'someValue', 'everyFact', 'everyValue', 'swap', 'not'] as const;
export type DecoratorName = (typeof DECORATOR_NAMES)[number];

/** A reference to another fact as the right-hand side of a condition. */
export interface FactReference {
  readonly fact: string;
  readonly path?: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

/** One comparison: `<fact>[path] <operator> <value>`. */
export interface FactCondition {
  readonly fact: string;
  readonly operator: string;
  readonly value: unknown;
  /** JSONPath into an object fact (`attributes`), e.g. `$.region` or `$.seats`. */
  readonly path?: string;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly priority?: number;
  readonly name?: string;
}

export interface AllConditions {
  readonly all: readonly RuleCondition[];
  readonly priority?: number;
  readonly name?: string;
}
export interface AnyConditions {
  readonly any: readonly RuleCondition[];
  readonly priority?: number;
  readonly name?: string;
}
export interface NotCondition {
  readonly not: RuleCondition;
  readonly priority?: number;
  readonly name?: string;
}

export type BooleanCondition = AllConditions | AnyConditions | NotCondition;
export type RuleCondition = BooleanCondition | FactCondition;

/** An eligibility rule in json-rules-engine's JSON form. */
export interface EligibilityRule {
  readonly name: string;
  readonly priority?: number;
  readonly conditions: BooleanCondition;
  readonly event: {
    readonly type: 'include' | 'exclude';
    readonly params: { readonly reason: string; readonly [key: string]: unknown };
  };
}

/** The fact values rules see for one account. */
export interface RuleFacts {
  readonly status: string | undefined;
  readonly statusType: string;
  readonly plan: string | undefined;
  readonly trial: boolean;
  readonly nonCustomer: boolean;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** ISO 8601 (`2026-01-31T00:00:00.000Z`); numeric operators then compare it as a string. */
  readonly statusObservedAt: string | undefined;
  /** Whole days from `statusObservedAt` to the evaluation's `asOf`. */
  readonly daysInStatus: number | undefined;
}

/** A rule whose conditions held for an account. */
export interface FiredRule {
  /** Position of the rule in the rule list. */
  readonly index: number;
  readonly name: string;
  /** The event type (`include` or `exclude` for valid rules). */
  readonly type: string;
  readonly reason: string | undefined;
  /** Priority as json-rules-engine uses it (integer >= 1). */
  readonly priority: number;
}

/** A rule that failed on an account (a JSONPath filter that read a missing property, a value that cannot
 * become a number): it did not fire, and says why. */
export interface FailedRule extends FiredRule {
  /** The error's message (at most 300 characters). */
  readonly message: string;
}
