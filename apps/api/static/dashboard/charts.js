// Day charts drawn with uPlot (served from its own package and loaded before this module as `uPlot`).
// Series are told apart by texture (stacked areas) or dash pattern (lines) as well as colour; a tooltip shows
// the numbers of the day under the pointer, or of the day chosen with the arrow keys.

import { formatCount, h } from './api.js';

const { uPlot } = globalThis;
const INTEGER_STEPS = [1, 2, 5].flatMap((m) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7].map((p) => m * p));
INTEGER_STEPS.sort((a, b) => a - b);

/** A fill that is a texture as well as a colour: solid, stripes, dots or a cross-hatch. */
function texture(kind, color) {
  const size = 8;
  const canvas = h('canvas', { width: size, height: size });
  const g = canvas.getContext('2d');
  g.fillStyle = kind === 'solid' ? color : `${color}33`;
  g.fillRect(0, 0, size, size);
  g.strokeStyle = color;
  g.fillStyle = color;
  g.lineWidth = 1.5;
  if (kind === 'stripes' || kind === 'cross') {
    g.beginPath();
    g.moveTo(0, size);
    g.lineTo(size, 0);
    g.moveTo(-2, 2);
    g.lineTo(2, -2);
    g.moveTo(size - 2, size + 2);
    g.lineTo(size + 2, size - 2);
    if (kind === 'cross') {
      g.moveTo(0, 0);
      g.lineTo(size, size);
    }
    g.stroke();
  } else if (kind === 'dots') {
    g.beginPath();
    g.arc(size / 2, size / 2, 1.6, 0, 2 * Math.PI);
    g.fill();
  }
  return g.createPattern(canvas, 'repeat');
}

/** A legend entry: a small drawing of the series' texture or dash, and its name. */
function legendEntry(s, stacked) {
  const swatch = h('canvas', { width: 28, height: 14, className: 'swatch' });
  const g = swatch.getContext('2d');
  if (stacked) {
    g.fillStyle = texture(s.texture, s.color);
    g.fillRect(0, 0, 28, 14);
    g.strokeStyle = s.color;
    g.strokeRect(0.5, 0.5, 27, 13);
  } else {
    g.strokeStyle = s.color;
    g.lineWidth = 2.5;
    g.setLineDash(s.dash ?? []);
    g.beginPath();
    g.moveTo(0, 7);
    g.lineTo(28, 7);
    g.stroke();
  }
  return h('li', {}, [swatch, h('span', { textContent: s.label })]);
}

const dayOf = (seconds) => new Date(seconds * 1000).toISOString().slice(0, 10);

/**
 * A chart of values per UTC day in `target` (a focusable element), with its `legend` and `tooltip`.
 * `series`: `{ key, label, color, texture }` (stacked areas) or `{ key, label, color, dash }` (lines).
 * `describe(day, values)` is called with the day a person reads (pointer or keys), for a live region.
 */
export function dayChart({ target, legend, tooltip, series, stacked = false, describe = () => {} }) {
  legend.replaceChildren(...series.map((s) => legendEntry(s, stacked)));
  target.tabIndex = 0; // the arrow keys read the chart day by day
  let plot;
  let columns = [];

  /** The numbers of one day as the chart holds them (stacked areas are read back as their own values). */
  const valuesAt = (idx) =>
    series.map((s, i) => {
      const top = plot.data[i + 1][idx];
      return { ...s, value: stacked && i > 0 ? top - plot.data[i][idx] : top };
    });

  function showTooltip(u) {
    const idx = u.cursor.idx;
    if (idx === null || idx === undefined || u.cursor.left < 0) {
      tooltip.hidden = true;
      return;
    }
    const day = dayOf(u.data[0][idx]);
    const values = valuesAt(idx);
    const rows = values.map((v) =>
      h('div', {}, [
        h('dt', { textContent: v.label }),
        h('dd', { textContent: formatCount(v.value), dataset: { key: v.key } }),
      ]),
    );
    if (stacked) {
      const total = values.reduce((sum, v) => sum + v.value, 0);
      rows.push(
        h('div', { className: 'total' }, [
          h('dt', { textContent: 'Total' }),
          h('dd', { textContent: formatCount(total), dataset: { key: 'total' } }),
        ]),
      );
    }
    tooltip.replaceChildren(h('p', { className: 'tooltip-day', textContent: day }), h('dl', {}, rows));
    tooltip.dataset.day = day;
    tooltip.hidden = false;
    const over = u.over;
    const width = tooltip.offsetWidth;
    const x = over.offsetLeft + u.cursor.left;
    const room = target.parentElement.clientWidth;
    const left = x + 14 + width <= room ? x + 14 : Math.max(0, x - 14 - width);
    tooltip.style.left = `${left}px`;
    tooltip.style.top = `${over.offsetTop + 4}px`;
    describe(day, values);
  }

  function build() {
    plot?.destroy();
    const width = Math.max(200, target.parentElement.clientWidth);
    const height = width < 520 ? 200 : 260;
    const days = columns[0] ?? [];
    const data = [days, ...columns.slice(1)];
    if (stacked) for (let i = 2; i < data.length; i++) data[i] = data[i].map((v, d) => v + data[i - 1][d]);
    plot = new uPlot(
      {
        width,
        height,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
        legend: { show: false },
        cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 7 } },
        scales: { y: { range: (_u, _min, max) => [0, max > 0 ? Math.ceil(max * 1.08) : 1] } },
        axes: [
          { stroke: '#4a5263', grid: { stroke: '#e3e6ec' }, ticks: { stroke: '#c9ced8' } },
          {
            stroke: '#4a5263',
            grid: { stroke: '#e3e6ec' },
            ticks: { stroke: '#c9ced8' },
            incrs: INTEGER_STEPS,
            values: (_u, splits) => splits.map((v) => formatCount(v)),
            size: 52,
          },
        ],
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: stacked ? 1 : 2,
            ...(stacked ? { fill: texture(s.texture, s.color) } : { dash: s.dash ?? [] }),
            points: { show: !stacked && days.length <= 31 },
          })),
        ],
        bands: stacked ? series.slice(1).map((_s, i) => ({ series: [i + 2, i + 1] })) : [],
        hooks: { setCursor: [showTooltip] },
      },
      data,
      target,
    );
  }

  // Keys move the day like the pointer does.
  target.addEventListener('keydown', (event) => {
    const last = (columns[0]?.length ?? 0) - 1;
    if (!plot || last < 0) return;
    const current = plot.cursor.idx ?? null;
    const step = { ArrowLeft: -1, ArrowRight: 1 }[event.key];
    let idx;
    if (event.key === 'Home') idx = 0;
    else if (event.key === 'End') idx = last;
    else if (step !== undefined) idx = current === null ? last : Math.min(last, Math.max(0, current + step));
    else return;
    event.preventDefault();
    const top = plot.data[plot.data.length - 1][idx];
    plot.setCursor({ left: plot.valToPos(plot.data[0][idx], 'x'), top: plot.valToPos(top, 'y') });
  });
  target.addEventListener('blur', () => {
    tooltip.hidden = true;
  });
  new ResizeObserver(() => {
    const width = target.parentElement.clientWidth;
    if (plot && width > 0 && Math.abs(plot.width - width) > 1) build();
  }).observe(target.parentElement);

  return {
    /** Draws `days` (YYYY-MM-DD) with one array of numbers per series, keyed by the series' keys. */
    update(days, valuesByKey) {
      columns = [
        days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000),
        ...series.map((s) => valuesByKey[s.key]),
      ];
      build();
    },
  };
}
