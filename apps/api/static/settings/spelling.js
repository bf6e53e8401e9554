// Which catalog status an Unknown value most likely means, by spelling distance. Pure; no DOM.

/** The form values are compared in: lower case, runs of spaces and punctuation as one space. */
export const comparable = (value) =>
  value
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
export function distance(a, b) {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++)
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}

const containsWord = (text, word) => word.length > 2 && ` ${text} `.includes(` ${word} `);

/**
 * The status `value` most likely means: the smallest distance to any of its spellings (value or alias),
 * a status whose spelling is a whole word of the value (or the reverse) first on a tie. `close` says whether
 * it looks like the same word (a typo, another case, a longer name), not just the least far.
 * `statuses`: `[{ value, aliases? }]`; returns `{ index, distance, close }` or undefined when there is none.
 */
export function likelyStatus(value, statuses) {
  const v = comparable(value);
  let best;
  statuses.forEach((status, index) => {
    if (typeof status.value !== 'string' || status.value.trim() === '') return;
    for (const spelling of [status.value, ...(status.aliases ?? [])]) {
      const s = comparable(spelling);
      const d = distance(v, s);
      const word = containsWord(v, s) || containsWord(s, v);
      const better = !best || d < best.distance || (d === best.distance && word && !best.word);
      if (better) best = { index, distance: d, word };
    }
  });
  if (!best) return undefined;
  const allowed = v.length <= 4 ? 1 : v.length <= 8 ? 2 : 3;
  return { index: best.index, distance: best.distance, close: best.distance <= allowed || best.word };
}
