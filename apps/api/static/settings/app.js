// The settings page: sign in with the tenant's key, then edit the catalog (statuses and their other
// spellings), fix Unknown values, and build eligibility rules, all through the API. No framework, no build
// step; the modules beside this one each own one part of the page.

import { $, focusFirst, say } from '../shared/dom.js';
import { session, Unauthorized, Unreachable, unreachableText } from './api.js';
import { loadBillingWebhooks, startBillingWebhooks } from './billing-webhooks.js';
import { isCatalogDirty, loadCatalog, startCatalog } from './catalog.js';
import { loadWebhooks, startWebhooks } from './outgoing-webhooks.js';
import { isRulesDirty, loadRules, startRules } from './rules.js';
import { forgetUnknown, showUnknownFromFragment, startUnknown } from './unknown.js';

const SECTIONS = [
  'catalog-section',
  'unknown-section',
  'rules-section',
  'billing-webhooks-section',
  'webhooks-section',
];

function showKeyForm(problem) {
  $('key-form').hidden = false;
  $('signed-in').hidden = true;
  delete document.body.dataset.loaded;
  for (const id of SECTIONS) $(id).hidden = true;
  forgetUnknown();
  say('message', problem ?? '', problem ? 'error' : '');
  $('key').value = '';
  focusFirst('key');
}

async function open() {
  $('key-form').hidden = true;
  const loaded = await loadCatalog();
  if (!loaded) return;
  await loadRules();
  await loadBillingWebhooks();
  await loadWebhooks();
  $('signed-in').hidden = false;
  if (!showUnknownFromFragment()) focusFirst('catalog-title');
  // Every section is loaded and focus is placed: what a person (or a test) may start from.
  document.body.dataset.loaded = 'yes';
}

function handle(error) {
  if (error instanceof Unauthorized) showKeyForm('That key was not accepted. Check it and try again.');
  else if (error instanceof Unreachable) {
    if (!$('message').textContent && $('key-form').hidden === false)
      say('message', unreachableText(error, 'nothing was loaded'), 'error');
  } else {
    say('message', `Something went wrong on this page: ${error.message}`, 'error');
    console.error(error);
  }
}

function signOut() {
  const unsaved = isCatalogDirty() || isRulesDirty();
  const button = $('sign-out');
  if (unsaved && button.dataset.confirm !== 'yes') {
    button.dataset.confirm = 'yes';
    button.textContent = 'Discard changes and sign out';
    say(
      'message',
      'You have unsaved changes. Save them, or press the button again to drop them and sign out.',
      'warning',
    );
    return;
  }
  delete button.dataset.confirm;
  button.textContent = 'Sign out';
  session.forget();
  showKeyForm();
  say('message', 'Signed out: the key is forgotten in this tab.', 'ok');
}

function start() {
  document.addEventListener('statuskit:error', (event) => handle(event.detail));
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('key').value.trim();
    if (!key) {
      say('message', 'Paste the API key first.', 'error');
      focusFirst('key');
      return;
    }
    session.remember(key);
    say('message', '');
    open().catch(handle);
  });
  $('sign-out').addEventListener('click', signOut);
  startCatalog();
  startUnknown();
  startRules();
  startBillingWebhooks();
  startWebhooks();
  window.addEventListener('beforeunload', (event) => {
    if (isCatalogDirty() || isRulesDirty()) event.preventDefault();
  });
  if (session.key) open().catch(handle);
  else showKeyForm();
}

start();
