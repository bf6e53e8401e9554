// The "Billing webhooks" section: the tenant's inbound Stripe and Chargebee endpoints, the URL to paste into
// each billing system, their recent deliveries (why an account did or did not move), and a form to create
// one with its mapper config. Self-contained: its markup is one <section> of index.html.

import { $, element, focusFirst, plural, say } from '../shared/dom.js';
import { api, problemText, reportError } from './api.js';

const EXAMPLE_CONFIG = {
  stripe: { plans: [{ status: 'Pro', prices: ['price_...'] }] },
  chargebee: { plans: [{ status: 'Pro', itemIds: ['pro'] }] },
};
const PROVIDER_NAMES = { stripe: 'Stripe', chargebee: 'Chargebee' };
const OUTCOME_WORDS = {
  applied: 'applied',
  skipped: 'skipped',
  rejected: 'rejected',
  duplicate: 'duplicate (already received)',
};

const when = (iso) => (iso ? `${new Date(iso).toLocaleString('en-GB', { timeZone: 'UTC' })} UTC` : '');

function deliveryRow(d) {
  const what =
    d.outcome === 'applied'
      ? `${d.accountId} → ${d.status}${d.result === 'stale' ? ' (older than what the account has: not applied)' : ` (${d.result})`}`
      : [d.reason, d.accountId ? `account ${d.accountId}` : null].filter(Boolean).join(' · ');
  return element('tr', { className: `delivery ${d.outcome}` }, [
    element('td', { textContent: when(d.receivedAt) }),
    element('td', {}, [
      element('span', { className: `outcome ${d.outcome}`, textContent: OUTCOME_WORDS[d.outcome] }),
    ]),
    element('td', { textContent: d.eventType ?? '' }),
    element('td', {}, [
      element('span', { textContent: what }),
      d.detail ? element('span', { className: 'hint detail', textContent: ` ${d.detail}` }) : null,
    ]),
  ]);
}

function countsText(c) {
  const parts = [`${plural(c.received, 'delivery', 'deliveries')}`, `${c.applied} applied`];
  const skipped = Object.values(c.skipped).reduce((a, b) => a + b, 0);
  const rejected = Object.values(c.rejected).reduce((a, b) => a + b, 0);
  if (skipped) parts.push(`${skipped} skipped`);
  if (rejected) parts.push(`${rejected} rejected`);
  if (c.duplicate) parts.push(`${c.duplicate} duplicate`);
  return parts.join(', ');
}

async function endpointCard(e) {
  const log = await api('GET', `/v1/webhook-endpoints/${e.id}/deliveries?limit=10`);
  const deliveries = log.ok ? log.data.deliveries : [];
  const urlId = `hook-url-${e.id}`;
  const copy = element('button', {
    type: 'button',
    className: 'quiet',
    textContent: 'Copy URL',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(e.url);
        say('hooks-message', `Copied the URL of ${e.name || e.id}.`, 'ok');
      } catch {
        $(urlId).select();
      }
    },
  });
  const needsSecret = e.provider === 'stripe' && !e.hasSecret;
  return element('li', { className: 'card hook-card', dataset: { endpoint: e.id } }, [
    element('div', { className: 'card-head' }, [
      element('h3', { className: 'card-value', textContent: e.name || e.id }),
      element('span', { className: 'badge', textContent: PROVIDER_NAMES[e.provider] }),
      e.disabled ? element('span', { className: 'badge', textContent: 'Disabled' }) : null,
    ]),
    element('label', { htmlFor: urlId, textContent: `URL to paste into ${PROVIDER_NAMES[e.provider]}` }),
    element('div', { className: 'key-row' }, [
      element('input', { id: urlId, type: 'text', readOnly: true, value: e.url, spellcheck: false }),
      copy,
    ]),
    needsSecret
      ? element('p', {
          className: 'message warning',
          textContent:
            "No signing secret yet: every delivery is refused until you paste the Stripe endpoint's secret (whsec_...) below.",
        })
      : null,
    e.provider === 'stripe'
      ? secretForm(e)
      : element('p', { className: 'hint', textContent: `Basic-auth user name: ${e.username}` }),
    element('p', { className: 'hint counts', textContent: countsText(e.deliveries) }),
    deliveries.length === 0
      ? element('p', { className: 'hint', textContent: 'No deliveries yet.' })
      : element('table', { className: 'deliveries' }, [
          element('caption', { textContent: 'Recent deliveries (newest first)' }),
          element('thead', {}, [
            element(
              'tr',
              {},
              ['Received', 'Outcome', 'Event', 'What happened'].map((t) =>
                element('th', { scope: 'col', textContent: t }),
              ),
            ),
          ]),
          element('tbody', {}, deliveries.map(deliveryRow)),
        ]),
  ]);
}

function secretForm(e) {
  const id = `hook-secret-${e.id}`;
  const form = element('form', { className: 'hook-secret', noValidate: true }, [
    element('label', {
      htmlFor: id,
      textContent: e.hasSecret ? 'Replace the signing secret' : 'Signing secret',
    }),
    element('div', { className: 'key-row' }, [
      element('input', {
        id,
        type: 'password',
        autocomplete: 'off',
        placeholder: 'whsec_...',
        spellcheck: false,
      }),
      element('button', { type: 'submit', textContent: e.hasSecret ? 'Replace' : 'Save secret' }),
    ]),
  ]);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const secret = $(id).value.trim();
    if (!secret) return say('hooks-message', 'Paste the whsec_... secret first.', 'error');
    api('PATCH', `/v1/webhook-endpoints/${e.id}`, { secret })
      .then(async (r) => {
        if (!r.ok) return say('hooks-message', problemText(r.data, 'The secret was not saved.'), 'error');
        say('hooks-message', `Saved the signing secret of ${e.name || e.id}.`, 'ok');
        await loadBillingWebhooks();
      })
      .catch(reportError);
  });
  return form;
}

/** Reads the endpoints and their recent deliveries into the section. */
export async function loadBillingWebhooks() {
  const r = await api('GET', '/v1/webhook-endpoints');
  if (!r.ok) {
    say('hooks-message', problemText(r.data, 'The webhook endpoints could not be read.'), 'error');
    return;
  }
  const cards = await Promise.all(r.data.endpoints.map(endpointCard));
  $('hook-list').replaceChildren(...cards);
  $('hooks-none').hidden = cards.length > 0;
  $('billing-webhooks-section').hidden = false;
}

function showCreated(made) {
  const lines = [
    `Created ${made.name || made.id}. Paste this URL into ${PROVIDER_NAMES[made.provider]}: ${made.url}`,
    made.password
      ? `Basic-auth user name ${made.username}, password ${made.password} (shown only now: copy it).`
      : null,
    made.setup,
    ...made.warnings.map((w) => `Warning: ${w.message}.`),
  ].filter(Boolean);
  const box = $('hook-created');
  box.replaceChildren(...lines.map((text) => element('p', { textContent: text })));
  box.hidden = false;
}

export function startBillingWebhooks() {
  const provider = $('hook-provider');
  const config = $('hook-config');
  const fill = () => {
    if (!config.value.trim() || config.dataset.example === 'yes') {
      config.value = JSON.stringify(EXAMPLE_CONFIG[provider.value], null, 2);
      config.dataset.example = 'yes';
    }
  };
  config.addEventListener('input', () => {
    config.dataset.example = 'no';
  });
  provider.addEventListener('change', fill);
  fill();
  $('hook-form').addEventListener('submit', (event) => {
    event.preventDefault();
    let parsed;
    try {
      parsed = JSON.parse(config.value);
    } catch (error) {
      say('hooks-message', `The mapper config is not JSON: ${error.message}`, 'error');
      focusFirst('hook-config');
      return;
    }
    const body = { provider: provider.value, config: parsed };
    const name = $('hook-name').value.trim();
    if (name) body.name = name;
    api('POST', '/v1/webhook-endpoints', body)
      .then(async (r) => {
        if (!r.ok) {
          const problems = (r.data.errors ?? []).map((e) => `${e.at}: ${e.message}`).join('; ');
          say(
            'hooks-message',
            `${problemText(r.data, 'Not created.')}${problems ? ` ${problems}` : ''}`,
            'error',
          );
          focusFirst('hook-config');
          return;
        }
        say('hooks-message', '');
        showCreated(r.data);
        $('hook-name').value = '';
        await loadBillingWebhooks();
        focusFirst('hook-created');
      })
      .catch(reportError);
  });
}
