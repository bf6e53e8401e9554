// Classification + eligibility throughput: json-rules-engine vs the compiled evaluator vs a hand-written
// function of the same logic, in one process. Run with `npm run bench` from the root (after a build).
import {
  classify,
  compileRules,
  defaultCatalog,
  engineEvaluator,
  evaluate,
  evaluateAsync,
} from '../dist/index.js';

const N = Number(process.env.BENCH_ACCOUNTS ?? 1_000_000);
const ENGINE_N = Math.min(N, Number(process.env.BENCH_ENGINE_ACCOUNTS ?? 30_000));
const DAY = 86_400_000;
const asOf = Date.parse('2026-03-01T00:00:00Z');

/** A realistic rule set: demo and test tenants out, long trials out, a win-back grace period in. */
const rules = [
  {
    name: 'demo-tenant',
    conditions: { any: [{ fact: 'attributes', path: '$.tags', operator: 'contains', value: 'demo' }] },
    event: { type: 'exclude', params: { reason: 'demo tenant' } },
  },
  {
    name: 'test-region',
    conditions: { all: [{ fact: 'attributes', path: '$.region', operator: 'in', value: ['TEST', 'QA'] }] },
    event: { type: 'exclude', params: { reason: 'test region' } },
  },
  {
    name: 'long-trial',
    conditions: {
      all: [
        { fact: 'trial', operator: 'equal', value: true },
        { fact: 'daysInStatus', operator: 'greaterThan', value: 30 },
      ],
    },
    event: { type: 'exclude', params: { reason: 'trial over 30 days' } },
  },
  {
    name: 'tiny-personal',
    conditions: {
      all: [
        { fact: 'plan', operator: 'equal', value: 'Personal' },
        { fact: 'attributes', path: '$.seats', operator: 'lessThan', value: 2 },
      ],
    },
    event: { type: 'exclude', params: { reason: 'single-seat personal plan' } },
  },
  {
    name: 'win-back',
    priority: 2,
    conditions: {
      all: [
        { fact: 'statusType', operator: 'equal', value: 'cancelled' },
        { fact: 'daysInStatus', operator: 'lessThanInclusive', value: 30 },
      ],
    },
    event: { type: 'include', params: { reason: 'win-back grace period' } },
  },
];

function makeAccounts(n) {
  const statuses = [
    'Pro',
    'Pro',
    'Enterprise',
    'Personal',
    'Trial',
    'Trial',
    'Cancelled',
    'Internal-use',
    ' pro',
    'Gold',
    '',
    undefined,
  ];
  const regions = ['EU', 'US', 'APAC', 'TEST'];
  const accounts = new Array(n);
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let i = 0; i < n; i++) {
    accounts[i] = {
      id: `acct-${i}`,
      status: statuses[Math.floor(rnd() * statuses.length)],
      attributes: {
        region: regions[Math.floor(rnd() * regions.length)],
        seats: Math.floor(rnd() * 50),
        tags: rnd() < 0.03 ? ['demo'] : [],
      },
      statusObservedAt: new Date(asOf - Math.floor(rnd() * 120) * DAY),
    };
  }
  return accounts;
}

/**
 * The same logic written by hand: every rule is checked (a decision lists every fired rule as a reason,
 * overridden or not), then the highest priority decides and an exclude beats an include.
 */
function handWritten() {
  const byValue = new Map();
  for (const d of defaultCatalog.statuses) {
    byValue.set(d.value, d);
    byValue.set(d.value.trim().toLowerCase(), d);
  }
  return (account) => {
    const raw = account.status;
    if (typeof raw !== 'string') return 'unknown-status';
    const def = byValue.get(raw) ?? byValue.get(raw.trim().toLowerCase());
    if (!def) return 'unknown-status';
    const a = account.attributes;
    const days = Math.floor((asOf - account.statusObservedAt.getTime()) / DAY);
    const demo = a.tags.indexOf('demo') > -1;
    const testRegion = a.region === 'TEST' || a.region === 'QA';
    const longTrial = def.trial === true && days > 30;
    const tinyPersonal = def.plan === 'Personal' && a.seats < 2;
    const winBack = def.type === 'cancelled' && days <= 30;
    if (winBack) return 'win-back grace period';
    if (demo) return 'demo tenant';
    if (testRegion) return 'test region';
    if (longTrial) return 'trial over 30 days';
    if (tinyPersonal) return 'single-seat personal plan';
    if (def.type === 'cancelled') return 'cancelled';
    if (def.nonCustomer === true) return 'non-customer';
    return 'active-customer';
  };
}

function tally(map, key) {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function best(label, runs, fn) {
  let bestMs = Number.POSITIVE_INFINITY;
  let result;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    result = fn();
    bestMs = Math.min(bestMs, performance.now() - t0);
  }
  return { label, ms: bestMs, result };
}

const accounts = makeAccounts(N);
const compiled = compileRules(rules);
const options = { asOf };
const engine = engineEvaluator(rules);
const hand = handWritten();

const compiledRun = best('compiled', 5, () => {
  const counts = new Map();
  for (let i = 0; i < N; i++) {
    const a = accounts[i];
    tally(counts, evaluate(classify(a, defaultCatalog), a, compiled, options).reason);
  }
  return counts;
});
const handRun = best('hand-written', 5, () => {
  const counts = new Map();
  for (let i = 0; i < N; i++) tally(counts, hand(accounts[i]));
  return counts;
});
const engineStart = performance.now();
const engineCounts = new Map();
for (let i = 0; i < ENGINE_N; i++) {
  const a = accounts[i];
  tally(engineCounts, (await evaluateAsync(classify(a, defaultCatalog), a, engine, { asOf })).reason);
}
const engineMs = performance.now() - engineStart;

// The three must agree, or the figures compare different work.
const prefix = new Map();
for (let i = 0; i < ENGINE_N; i++) {
  const a = accounts[i];
  tally(prefix, evaluate(classify(a, defaultCatalog), a, compiled, { asOf }).reason);
}
const same = (x, y) => x.size === y.size && [...x].every(([k, v]) => y.get(k) === v);
if (!same(compiledRun.result, handRun.result) || !same(prefix, engineCounts)) {
  console.error('MISMATCH', { compiled: compiledRun.result, hand: handRun.result, prefix, engineCounts });
  process.exit(1);
}

const rate = (n, ms) => n / (ms / 1000);
const engineRate = rate(ENGINE_N, engineMs);
const compiledRate = rate(N, compiledRun.ms);
const handRate = rate(N, handRun.ms);
const fmt = (x) => Math.round(x).toLocaleString('en-US').padStart(12);
console.log(
  `\n@statuskit/core: classify + eligibility, ${rules.length} rules, ${N.toLocaleString('en-US')} accounts (engine: first ${ENGINE_N.toLocaleString('en-US')})`,
);
console.log(`  json-rules-engine   ${fmt(engineRate)} accounts/s`);
console.log(
  `  compiled            ${fmt(compiledRate)} accounts/s   ${(compiledRate / engineRate).toFixed(0)}x json-rules-engine (target >= 300x)`,
);
console.log(
  `  hand-written        ${fmt(handRate)} accounts/s   compiled is ${(handRate / compiledRate).toFixed(2)}x slower than hand-written (target <= 1.5x)`,
);
