// Talking to the API with the tenant's key (kept in this tab's sessionStorage, under the settings page's
// name, so moving between the two pages keeps it). DOM building (no inline styles, no HTML strings) is the
// pages' shared dom.js.

import { $, element as h } from '../shared/dom.js';

export { $, h };

const KEY = 'statuskit-api-key';

/** A region that scrolls is reachable with the keyboard, and only while it scrolls. */
export function keyboardScrollable(region) {
  const check = () => {
    const scrolls =
      region.scrollWidth > region.clientWidth + 1 || region.scrollHeight > region.clientHeight + 1;
    if (scrolls) region.tabIndex = 0;
    else region.removeAttribute('tabindex');
  };
  const observer = new ResizeObserver(check);
  observer.observe(region);
  for (const child of region.children) observer.observe(child);
  check();
  return region;
}

export const formatCount = (n) => n.toLocaleString('en-US');

/** A line in the page's message area. */
export function say(text, kind = 'ok') {
  const message = $('message');
  message.textContent = text;
  message.className = kind;
}

export const storedKey = () => sessionStorage.getItem(KEY);
export const storeKey = (key) => sessionStorage.setItem(KEY, key);

/** Raised when the key is refused (it is forgotten) or the API cannot be reached; the page has said so. */
export class ApiUnavailable extends Error {}

let onRefused = () => {};
/** What to do when the API refuses the key (show the key form). */
export function whenKeyRefused(callback) {
  onRefused = callback;
}

/** GET (or another method) on the API; answers `{ ok, status, data }` for any HTTP status but 401/403. */
export async function api(path, { method = 'GET', query } = {}) {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {}))
    if (v !== undefined && v !== null) search.set(k, String(v));
  let response;
  try {
    response = await fetch(search.size ? `${path}?${search}` : path, {
      method,
      headers: { authorization: `Bearer ${storedKey() ?? ''}` },
    });
  } catch (error) {
    say(`Could not reach statuskit (${error.message}). Try again.`, 'error');
    throw new ApiUnavailable(error.message);
  }
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 || response.status === 403) {
    sessionStorage.removeItem(KEY);
    onRefused('That key was not accepted. Check it and try again.');
    throw new ApiUnavailable('unauthorized');
  }
  return { ok: response.ok, status: response.status, data };
}

/** What a refused request's problem document says, or `fallback`. */
export const problemText = (data, fallback) => data.detail ?? data.title ?? fallback;
