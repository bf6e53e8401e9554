import { describeMapperConformance } from '@statuskit/core/testing';
import { paddlewickMapper } from './paddlewick-mapper.js';

const hook = (state: string, tier: string | null, extra: Record<string, unknown> = {}) => ({
  account: { ref: 'acme-42' },
  contract: 'ct_7',
  state,
  tier,
  changed: '2026-11-20T10:00:00Z',
  ...extra,
});

describeMapperConformance(paddlewickMapper, {
  valid: [
    {
      name: 'live corp',
      record: hook('live', 'corp'),
      expect: { accountId: 'acme-42', status: 'Enterprise', observedAt: '2026-11-20T10:00:00.000Z' },
    },
    { name: 'evaluating', record: hook('evaluating', null), expect: { status: 'Trial' } },
    { name: 'lapsed', record: hook('lapsed', 'team'), expect: { status: 'Cancelled' } },
    { name: 'sandbox', record: hook('live', 'team', { sandbox: true }), expect: { status: 'Internal-use' } },
    { name: 'unknown tier', record: hook('live', 'galactic'), expect: { skip: 'unmapped-tier' } },
  ],
  invalid: [{ record: { state: 'live' } }, { record: hook('live', 'corp', { changed: 'yesterday' }) }],
  // One contract's webhooks, oldest first: the kit shuffles them and checks the newest wins.
  history: [
    {
      name: 'corp, then lapsed',
      records: [hook('live', 'corp'), hook('lapsed', 'corp', { changed: '2026-11-21T09:00:00Z' })],
    },
  ],
});
