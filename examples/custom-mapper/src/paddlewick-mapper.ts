// An integrator's mapper for "Paddlewick", a made-up billing system whose webhook sends:
//   { "account": { "ref": "acme-42" }, "contract": "ct_7", "state": "live" | "evaluating" | "lapsed" | "closed",
//     "tier": "starter" | "team" | "corp", "changed": "2026-11-20T10:00:00Z", "sandbox": false }
// An account can hold several contracts; each webhook shows one contract as it stands at `changed`.
import { combineByRank, defineMapper, skip } from '@statuskit/core/mapper';
import { z } from 'zod';

const TIERS: Record<string, string> = { corp: 'Enterprise', team: 'Pro', starter: 'Personal' };
const RANK: Record<string, number> = { Enterprise: 5, Pro: 4, Personal: 3, Trial: 2, Cancelled: 1 };

export const paddlewickMapper = defineMapper({
  name: 'paddlewick',
  version: '1.0.0',
  input: z.object({
    account: z.object({ ref: z.string().min(1) }),
    contract: z.string().min(1),
    state: z.string(),
    tier: z.string().nullable(),
    changed: z.iso.datetime({ offset: true }),
    sandbox: z.boolean().default(false),
  }),
  map(record) {
    const base = { accountId: record.account.ref, observedAt: new Date(record.changed).toISOString() };
    if (record.sandbox) return { ...base, status: 'Internal-use' };
    switch (record.state) {
      case 'evaluating':
        return { ...base, status: 'Trial' };
      case 'live': {
        const status = record.tier ? TIERS[record.tier] : undefined;
        return status ? { ...base, status } : skip('unmapped-tier', String(record.tier), base.accountId);
      }
      case 'lapsed':
      case 'closed':
        return { ...base, status: 'Cancelled' };
      default:
        return skip('unknown-state', record.state, base.accountId);
    }
  },
  // Webhooks of one contract can arrive in any order: the latest `changed` wins.
  observe: (record) => ({ object: record.contract, at: [Date.parse(record.changed)] }),
  // Then one status per account when it has several Paddlewick contracts.
  combine: combineByRank((u) => RANK[u.status] ?? 0),
});
