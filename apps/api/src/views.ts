import {
  type Catalog,
  type Classification,
  type CompiledEvaluator,
  classifyStatus,
  type Eligibility,
  evaluate,
} from '@statuskit/core';
import { coreAccount, type StatusEvent, type StoredAccount } from '@statuskit/store';

export function classificationView(c: Classification) {
  return {
    statusType: c.statusType,
    status: c.status ?? null,
    plan: c.plan ?? null,
    trial: c.trial,
    nonCustomer: c.nonCustomer,
    unknownReason: c.unknownReason ?? null,
  };
}

export function eligibilityView(e: Eligibility) {
  return {
    eligible: e.eligible,
    decidedBy: e.decidedBy,
    reason: e.reason,
    ...(e.rule !== undefined ? { rule: e.rule } : {}),
    reasons: e.reasons.map((r) => ({ ...r })),
    ...(e.ruleErrors ? { ruleErrors: e.ruleErrors.map((r) => ({ ...r })) } : {}),
  };
}

export function eventView(e: StatusEvent) {
  return { ...e, observedAt: e.observedAt.toISOString(), receivedAt: e.receivedAt.toISOString() };
}

/** An account with its classification and eligibility as of `asOf`. */
export function accountView(
  a: StoredAccount,
  catalog: Catalog,
  evaluator: CompiledEvaluator,
  asOf: number,
  history?: StatusEvent[],
) {
  const c = classifyStatus(a.status ?? undefined, catalog);
  const e = evaluate(c, coreAccount(a), evaluator, { asOf });
  return {
    id: a.id,
    name: a.name,
    status: a.status,
    attributes: a.attributes,
    statusObservedAt: a.statusObservedAt.toISOString(),
    lastObservedAt: a.lastObservedAt.toISOString(),
    source: a.source,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
    classification: classificationView(c),
    eligibility: eligibilityView(e),
    ...(history ? { history: history.map(eventView) } : {}),
  };
}

export const iso = (d: Date | null) => (d === null ? null : d.toISOString());
