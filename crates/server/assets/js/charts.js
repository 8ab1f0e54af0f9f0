// Hand-drawn SVG charts: stacked time bars with a line overlay, horizontal bars and a Lorenz
// curve. Every mark is a focusable button-like element that calls `onPick` (drill-down), with a
// text alternative for screen readers.

import { h, s, fmtInt, fmtPct } from './ui.js';

let tip;
function tooltip(text, event) {
  if (!tip) { tip = h('div', { class: 'tooltip', role: 'presentation' }); document.body.append(tip); }
  if (!text) { tip.hidden = true; return; }
  tip.hidden = false;
  tip.textContent = text;
  const x = event.clientX ?? 0;
  const y = event.clientY ?? 0;
  tip.style.left = `${Math.min(x + 12, window.innerWidth - 260)}px`;
  tip.style.top = `${y + 12}px`;
}

function pickable(el, label, onPick) {
  el.setAttribute('tabindex', '0');
  el.setAttribute('role', 'button');
  el.setAttribute('aria-label', label);
  el.addEventListener('click', onPick);
  el.addEventListener('keydown', (event) => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); onPick(); } });
  el.addEventListener('mousemove', (event) => tooltip(label, event));
  el.addEventListener('mouseleave', () => tooltip(null));
  el.addEventListener('focus', () => { const r = el.getBoundingClientRect(); tooltip(label, { clientX: r.left, clientY: r.bottom }); });
  el.addEventListener('blur', () => tooltip(null));
  return el;
}

/** A round step (1, 2, 5 × 10^n, at least 1) at or above `raw`. */
function niceStep(raw) {
  if (raw <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 2.5, 5, 10]) if (factor * power >= raw) return Math.ceil(factor * power);
  return Math.ceil(10 * power);
}

/**
 * Stacked bars over time. `points`: [{start, total, positive, neutral, negative, avg_compound}].
 * `onPick(point, series)` is called with series 'positive' | 'neutral' | 'negative'.
 */
export function sentimentBars(points, { title = 'Volume and sentiment', onPick = () => {}, hourly = false } = {}) {
  const width = 900;
  const height = 260;
  const pad = { l: 48, r: 44, t: 12, b: 34 };
  const innerW = width - pad.l - pad.r;
  const innerH = height - pad.t - pad.b;
  const rawMax = Math.max(1, ...points.map((p) => p.total));
  const tick = niceStep(rawMax / 4);
  const max = tick * 4;
  const step = innerW / Math.max(1, points.length);
  const barW = Math.max(1, step * 0.8);
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': title });
  svg.append(s('title', {}, title));
  for (let i = 0; i <= 4; i += 1) {
    const y = pad.t + innerH - (innerH * i) / 4;
    svg.append(s('line', { class: 'grid-line', x1: pad.l, x2: width - pad.r, y1: y, y2: y }));
    svg.append(s('text', { x: pad.l - 6, y: y + 4, 'text-anchor': 'end' }, fmtInt(tick * i)));
  }
  const fmt = (d) => (hourly ? d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit' }) : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }));
  const labelEvery = Math.max(1, Math.ceil(points.length / 8));
  points.forEach((point, i) => {
    const x = pad.l + i * step + (step - barW) / 2;
    let y = pad.t + innerH;
    const start = new Date(point.start);
    for (const [series, cls] of [['negative', 's-neg'], ['neutral', 's-neu'], ['positive', 's-pos']]) {
      const value = point[series] || 0;
      if (!value) continue;
      const barH = (value / max) * innerH;
      y -= barH;
      const rect = s('rect', { class: `seg ${cls}`, x, y, width: barW, height: Math.max(barH, 0.5) });
      svg.append(pickable(rect, `${fmt(start)}: ${fmtInt(value)} ${series} of ${fmtInt(point.total)} posts`, () => onPick(point, series)));
    }
    if (i % labelEvery === 0) svg.append(s('text', { x: x + barW / 2, y: height - pad.b + 16, 'text-anchor': 'middle' }, fmt(start)));
  });
  // mean compound line on a −1…1 right axis
  const yC = (c) => pad.t + innerH / 2 - (c * innerH) / 2;
  const path = points.map((p, i) => (p.avg_compound === null || p.avg_compound === undefined ? null : `${pad.l + i * step + step / 2},${yC(p.avg_compound)}`)).filter(Boolean);
  if (path.length > 1) svg.append(s('polyline', { class: 'line l-compound', points: path.join(' ') }));
  svg.append(s('text', { x: width - pad.r + 6, y: yC(1) + 4 }, '+1'));
  svg.append(s('text', { x: width - pad.r + 6, y: yC(0) + 4 }, '0'));
  svg.append(s('text', { x: width - pad.r + 6, y: yC(-1) + 4 }, '−1'));
  svg.append(s('line', { class: 'axis', x1: pad.l, x2: width - pad.r, y1: pad.t + innerH, y2: pad.t + innerH }));
  return h('figure', { class: 'chart-figure', style: { margin: '0' } }, svg,
    h('figcaption', { class: 'legend' }, h('span', { class: 'k-pos' }, 'positive'), h('span', { class: 'k-neu' }, 'neutral'), h('span', { class: 'k-neg' }, 'negative'), h('span', { class: 'k-line' }, 'mean VADER compound (right axis)')));
}

/** Horizontal bars: items [{label, value, note}]; `onPick(item)`. */
export function hbars(items, { label = 'value', onPick = null, format = fmtInt, max = null, cls = '' } = {}) {
  const top = max ?? Math.max(1, ...items.map((i) => i.value || 0));
  return h('div', { class: `hbar ${cls}`, role: 'list' }, items.map((item) => {
    const width = `${Math.max(0.5, ((item.value || 0) / top) * 100)}%`;
    const text = `${item.label}: ${format(item.value)}${item.note ? ` (${item.note})` : ''}`;
    const bar = onPick
      ? h('button', { class: 'bar-btn', type: 'button', style: { width }, 'aria-label': `${text} — show posts`, title: text, onclick: () => onPick(item) })
      : h('span', { class: 'bar-btn', style: { width }, title: text });
    if (item.color) bar.style.background = item.color;
    return [h('span', { class: 'lbl', role: 'listitem', title: item.label }, item.label), h('span', {}, bar), h('span', { class: 'mono small' }, format(item.value))];
  }), h('span', { class: 'sr-only' }, label));
}

/** A Lorenz curve from [[authorsShare, postsShare]…] with the equality diagonal. */
export function lorenz(points, { title = 'Lorenz curve of posts per author' } = {}) {
  const size = 240;
  const pad = 30;
  const inner = size - pad * 2;
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${size} ${size}`, role: 'img', 'aria-label': title, style: { maxWidth: '320px' } });
  svg.append(s('title', {}, title));
  svg.append(s('line', { class: 'grid-line', x1: pad, y1: pad + inner, x2: pad + inner, y2: pad }));
  svg.append(s('line', { class: 'axis', x1: pad, y1: pad + inner, x2: pad + inner, y2: pad + inner }));
  svg.append(s('line', { class: 'axis', x1: pad, y1: pad, x2: pad, y2: pad + inner }));
  const pts = points.map(([x, y]) => `${pad + x * inner},${pad + inner - y * inner}`).join(' ');
  svg.append(s('polyline', { class: 'line l-compound', points: pts }));
  svg.append(s('text', { x: pad + inner / 2, y: size - 6, 'text-anchor': 'middle' }, 'share of authors →'));
  svg.append(s('text', { x: 10, y: pad + inner / 2, transform: `rotate(-90 10 ${pad + inner / 2})`, 'text-anchor': 'middle' }, 'share of posts →'));
  return svg;
}

/** A small data table (the text alternative of a chart). */
export function dataTable(caption, columns, rows) {
  return h('details', {}, h('summary', { class: 'small muted' }, `Table: ${caption}`),
    h('div', { class: 'table-wrap' }, h('table', {}, h('caption', { class: 'sr-only' }, caption),
      h('thead', {}, h('tr', {}, columns.map(([, label, num]) => h('th', { class: num ? 'num' : '' }, label)))),
      h('tbody', {}, rows.map((row) => h('tr', {}, columns.map(([key, , num, fmt]) => h('td', { class: num ? 'num' : '' }, fmt ? fmt(row[key], row) : row[key] ?? '—'))))))));
}

export { fmtPct };
