// The API, with the tenant's key from this tab's session storage, and the resource versions (ETags) the
// page loaded, sent back as If-Match so a save never overwrites what someone else saved meanwhile.

const KEY = 'statuskit-api-key';

export const session = {
  get key() {
    return sessionStorage.getItem(KEY) ?? '';
  },
  remember(key) {
    sessionStorage.setItem(KEY, key);
  },
  forget() {
    sessionStorage.removeItem(KEY);
  },
};

/** The key was refused: the page goes back to the sign-in form. */
export class Unauthorized extends Error {}
/** The request never got an answer: nothing was saved. */
export class Unreachable extends Error {}

/** `{ ok, status, data, etag }`; throws Unauthorized (401/403) or Unreachable (no answer). */
export async function api(method, path, body, { ifMatch } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${session.key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(ifMatch ? { 'if-match': ifMatch } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new Unreachable(error.message);
  }
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 || response.status === 403) {
    session.forget();
    throw new Unauthorized(data.detail ?? 'unauthorized');
  }
  return { ok: response.ok, status: response.status, data, etag: response.headers.get('etag') ?? undefined };
}

/** What a refused request's problem document says, or `fallback`. */
export const problemText = (data, fallback) => data?.detail ?? data?.title ?? fallback;

/** What to say when a request got no answer (`Unreachable`). */
export const unreachableText = (error, outcome = 'nothing was saved') =>
  `Could not reach statuskit (${error.message}); ${outcome}. Try again.`;

/** What to say on a 412: `what` ("the catalog") was saved by someone else after this page read it. */
export const staleText = (what, it = 'it') =>
  `Someone else saved ${what} after you opened ${it}, so nothing was saved. Reload to see their version (your changes here are dropped), then make your change again.`;

/** Someone else saved first: the version sent with If-Match is no longer the current one. */
export const isStale = (result) => result.status === 412;

/** Hands an error a module could not deal with to the page (a refused key goes back to sign-in). */
export const reportError = (error) =>
  document.dispatchEvent(new CustomEvent('statuskit:error', { detail: error }));
