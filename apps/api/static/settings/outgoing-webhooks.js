// The "Outgoing webhooks" section: the tenant's webhook subscriptions (statuskit -> another tool) with their
// recent deliveries (state and response code), a form to add one (its signing secret is shown once), and
// buttons to pause, resume, delete, and replay a failed delivery.

import { $, element, plural, say } from '../shared/dom.js';
import { api, problemText, reportError } from './api.js';

const EVENTS = [
  ['account.status_changed', 'Any status change'],
  ['account.converted', 'Converted (free to paying)'],
  ['account.churned', 'Churned (paying to cancelled)'],
  ['account.reactivated', 'Reactivated (cancelled to paying or free)'],
  ['account.unknown', 'Became Unknown'],
  ['health_run.completed', 'Health run completed'],
];
const RECENT = 5;

function deliveryRow(subscription, d) {
  const code = d.lastStatusCode ?? (d.lastError ? 'no answer' : '—');
  const replay =
    d.state === 'failed'
      ? element('button', {
          type: 'button',
          className: 'quiet',
          textContent: 'Replay',
          onclick: () => act(`replaying ${d.id}`, 'POST', `${base(subscription)}/deliveries/${d.id}/replay`),
        })
      : null;
  return element('tr', { dataset: { delivery: d.id, state: d.state } }, [
    element('td', { textContent: d.eventType }),
    element('td', { textContent: d.state, className: `state-${d.state}` }),
    element('td', { textContent: String(code), title: d.lastError ?? '' }),
    element('td', { textContent: String(d.attempts) }),
    element('td', { textContent: new Date(d.createdAt).toLocaleString() }),
    element('td', {}, [replay]),
  ]);
}

const base = (s) => `/v1/webhook-subscriptions/${encodeURIComponent(s.id)}`;

async function act(what, method, path, body) {
  try {
    const r = await api(method, path, body);
    if (!r.ok) say('webhooks-message', problemText(r.data, `${what} failed (${r.status})`), 'error');
    await loadWebhooks();
  } catch (error) {
    reportError(error);
  }
}

function subscriptionCard(s, deliveries) {
  const table =
    deliveries.length === 0
      ? element('p', { className: 'hint', textContent: 'No deliveries yet.' })
      : element('table', { className: 'deliveries' }, [
          element('caption', { textContent: `Recent deliveries to ${s.url}` }),
          element('thead', {}, [
            element(
              'tr',
              {},
              ['Event', 'State', 'Response', 'Attempts', 'Created', ''].map((h) =>
                element('th', { scope: 'col', textContent: h }),
              ),
            ),
          ]),
          element(
            'tbody',
            {},
            deliveries.map((d) => deliveryRow(s, d)),
          ),
        ]);
  return element('li', { className: 'card', dataset: { subscription: s.id, status: s.status } }, [
    element('h3', { textContent: s.url }),
    element('p', {}, [
      element('span', { className: `badge status-${s.status}`, textContent: s.status }),
      ` ${s.events.join(', ')}`,
      s.description ? ` — ${s.description}` : '',
      s.status === 'failing' ? ` (${plural(s.consecutiveFailures, 'failed attempt')} in a row)` : '',
    ]),
    table,
    element('div', { className: 'actions' }, [
      element('button', {
        type: 'button',
        textContent: s.enabled ? 'Pause' : 'Resume',
        onclick: () => act('changing the subscription', 'PATCH', base(s), { enabled: !s.enabled }),
      }),
      element('button', {
        type: 'button',
        textContent: 'Delete',
        onclick: () => {
          if (window.confirm(`Delete the subscription to ${s.url} and its delivery log?`))
            act('deleting the subscription', 'DELETE', base(s));
        },
      }),
    ]),
  ]);
}

/** Reads the subscriptions and their recent deliveries and shows them. */
export async function loadWebhooks() {
  const r = await api('GET', '/v1/webhook-subscriptions');
  if (!r.ok) {
    say('webhooks-message', problemText(r.data, 'The webhook subscriptions could not be read.'), 'error');
    return;
  }
  const cards = [];
  for (const s of r.data.subscriptions) {
    const log = await api('GET', `${base(s)}/deliveries?limit=${RECENT}`);
    cards.push(subscriptionCard(s, log.ok ? log.data.deliveries : []));
  }
  $('webhook-list').replaceChildren(...cards);
  $('webhooks-none').hidden = cards.length > 0;
  $('webhooks-section').hidden = false;
}

export function startWebhooks() {
  $('webhook-events').replaceChildren(
    ...EVENTS.map(([value, text]) =>
      element('label', { className: 'check' }, [
        element('input', {
          type: 'checkbox',
          name: 'webhook-event',
          value,
          checked: value === 'account.status_changed',
        }),
        ` ${text}`,
      ]),
    ),
  );
  $('webhook-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const url = $('webhook-url').value.trim();
    const events = [...document.querySelectorAll('input[name="webhook-event"]:checked')].map((i) => i.value);
    if (!url || events.length === 0) {
      say('webhooks-message', 'Give the URL and choose at least one event.', 'error');
      return;
    }
    try {
      const r = await api('POST', '/v1/webhook-subscriptions', { url, events });
      if (!r.ok) {
        const detail = r.data?.errors?.[0]?.message;
        say('webhooks-message', detail ? `The URL ${detail}.` : problemText(r.data, 'Not added.'), 'error');
        return;
      }
      $('webhook-url').value = '';
      await loadWebhooks();
      say(
        'webhooks-message',
        `Added. Signing secret (shown only now; the receiver verifies deliveries with it): ${r.data.secret}`,
        'ok',
      );
    } catch (error) {
      reportError(error);
    }
  });
}
