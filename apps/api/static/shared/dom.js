// Small DOM helpers shared by the pages (settings, dashboard), served at /shared/dom.js (src/static-files.ts);
// each page imports it as `../shared/dom.js`.

export const $ = (id) => document.getElementById(id);

/** `element('button', { type: 'button', onclick }, [children])`; null and false children are skipped. */
export function element(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue;
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k in node && !k.startsWith('aria-')) node[k] = v;
    else node.setAttribute(k, v);
  }
  for (const child of children)
    if (child !== null && child !== false && child !== undefined) node.append(child);
  return node;
}

/** `<option>`s from `[value, text]` pairs, `selected` chosen. */
export const options = (pairs, selected) =>
  pairs.map(([value, text]) => element('option', { value, textContent: text, selected: value === selected }));

/** Text read by screen readers only (the visible label is shorter, its context is on screen). */
export const unseen = (text) => element('span', { className: 'visually-hidden', textContent: text });

/**
 * Runs `render` (which replaces elements) and puts focus back on the element with the same `data-focus`
 * key, so re-rendering never drops focus to the page.
 */
export function keepFocus(render) {
  const key = document.activeElement?.dataset?.focus;
  render();
  if (!key) return;
  const again = document.querySelector(`[data-focus="${CSS.escape(key)}"]`);
  if (again && again !== document.activeElement) again.focus();
}

/** The element a focus candidate names: an element, an id, a `data-focus` key, or a selector. */
function resolve(c) {
  if (typeof c !== 'string') return c;
  const byKey = document.getElementById(c) ?? document.querySelector(`[data-focus="${CSS.escape(c)}"]`);
  if (byKey) return byKey;
  try {
    return document.querySelector(c);
  } catch {
    return null;
  }
}

/** Focuses the first of `candidates` that exists and is shown (elements, ids, `data-focus` keys, selectors). */
export function focusFirst(...candidates) {
  for (const c of candidates) {
    const node = resolve(c);
    if (node && !node.closest('[hidden]') && !node.disabled) {
      node.focus();
      node.scrollIntoView?.({ block: 'nearest' });
      return node;
    }
  }
  return undefined;
}

/** A line in a message area (`kind`: ok, error, warning, or '' for plain), optionally with buttons after it. */
export function say(where, text, kind = 'ok', actions = []) {
  const area = typeof where === 'string' ? $(where) : where;
  if (!area) return;
  area.replaceChildren(text, ...(actions.length ? [' ', ...actions] : []));
  area.className = `message ${text ? kind : ''}`.trim();
}

/** JSON with object keys sorted: equal for equal data, whatever order keys were set in. */
export function stableStringify(value) {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

export const clone = (value) => JSON.parse(JSON.stringify(value));

export const plural = (n, one, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** Marks the fields problems point at (`data-path`), with the text on the field, and lists them in `list`. */
export function showProblems({ container, list, problems, heading }) {
  for (const old of container.querySelectorAll('.field-error')) old.remove();
  for (const marked of container.querySelectorAll('[aria-invalid="true"]')) {
    marked.removeAttribute('aria-invalid');
    marked.removeAttribute('aria-describedby');
  }
  for (const marked of container.querySelectorAll('.invalid')) marked.classList.remove('invalid');
  const targets = [];
  problems.forEach((p, n) => {
    const target = findByPath(container, p.path);
    if (!target) return;
    const field = target.closest('.field, .chip, .condition, .card') ?? target;
    field.classList.add('invalid');
    const control = target.matches('input, select, textarea, button')
      ? target
      : target.querySelector('input, select, textarea, button');
    const id = `${container.id}-problem-${n}`;
    const text = element('p', { className: 'field-error', id, textContent: p.fieldText ?? p.text });
    (target.matches('.chip') ? target.closest('.field') : field).append(text);
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      const described = control.getAttribute('aria-describedby');
      control.setAttribute('aria-describedby', described ? `${described} ${id}` : id);
      targets.push(control);
    }
  });
  list.replaceChildren(
    ...(problems.length ? [element('p', { className: 'problems-heading', textContent: heading })] : []),
    ...(problems.length
      ? [
          element(
            'ul',
            {},
            problems.map((p) => {
              const target = findByPath(container, p.path);
              return element('li', { className: p.kind ?? 'error' }, [
                target
                  ? element('a', {
                      href: '#',
                      textContent: p.line,
                      onclick: (event) => {
                        event.preventDefault();
                        focusFirst(
                          target.matches('input, select, textarea, button')
                            ? target
                            : target.querySelector('input, select, textarea, button'),
                          target,
                        );
                      },
                    })
                  : p.line,
              ]);
            }),
          ),
        ]
      : []),
  );
  targets.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
  return targets;
}

/** The element a problem's path names, or the nearest one above it (`[0].conditions.all[1].value`). */
export function findByPath(container, path) {
  for (let n = path.length; n > 0; n--) {
    const at = formatPath(path.slice(0, n));
    const found = container.querySelector(`[data-path="${CSS.escape(at)}"]`);
    if (found) return found;
  }
  return undefined;
}

/** The same path notation as the API's `at` (`statuses[2].type`, `[0].conditions.all[1].value`). */
export function formatPath(path) {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}
