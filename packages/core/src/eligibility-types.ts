import type { UnknownReason } from './classify.js';

// The result types of eligibility, apart from the code that decides it, so the rule evaluators can name them
// without importing the decision code (which imports them).

/** The built-in verdicts, before any rule. */
export type BuiltInCode = 'unknown-status' | 'cancelled' | 'non-customer' | 'active-customer';

export type EligibilityReason =
  | {
      readonly source: 'built-in';
      readonly code: 'unknown-status';
      readonly unknownReason: UnknownReason;
      readonly eligible: false;
      readonly overridden: false;
    }
  | {
      readonly source: 'built-in';
      readonly code: Exclude<BuiltInCode, 'unknown-status'>;
      readonly eligible: boolean;
      /** True when a rule made the decision instead. */
      readonly overridden: boolean;
    }
  | {
      readonly source: 'rule';
      readonly rule: string;
      readonly index: number;
      readonly type: 'include' | 'exclude';
      readonly reason: string;
      readonly priority: number;
      /** True when a higher-priority rule, or an exclude of the same priority, decided instead. */
      readonly overridden: boolean;
    };

/** A rule that failed on an account: it did not fire, and the decision was made without it. */
export interface RuleError {
  readonly rule: string;
  readonly index: number;
  readonly type: 'include' | 'exclude';
  readonly reason: string;
  readonly priority: number;
  /** Why it failed (`jsonPath: Cannot read properties of undefined ...`). */
  readonly message: string;
}

/** Whether an account takes part in the daily health calculation, and why. */
export interface Eligibility {
  readonly eligible: boolean;
  readonly decidedBy: 'built-in' | 'rule';
  /** The deciding reason: a built-in code, or the deciding rule's `params.reason`. */
  readonly reason: string;
  /** The deciding rule's name, when a rule decided. */
  readonly rule?: string;
  /** Every reason in order: the built-in one first, then each fired rule (highest priority first). */
  readonly reasons: readonly EligibilityReason[];
  /** The rules that failed on this account, in rule order (absent when none did). */
  readonly ruleErrors?: readonly RuleError[];
}
