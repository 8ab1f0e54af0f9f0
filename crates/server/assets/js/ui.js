// Small DOM helpers shared by every screen: element builder, badges, numbers and times, toasts.
// Text is always set through textContent (never innerHTML), so post text cannot inject markup.

/** Builds an element: h('a', {href: '#/x', class: 'btn', onclick: fn}, 'text', child…). */
export function h(tag, attrs = {}, ...children) {
  const el = tag === 'svg' || attrs.svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false || key === 'svg') continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'style' && typeof value === 'object') Object.assign(el.style, value);
    else if (key === 'value' && 'value' in el) el.value = value;
    else if (key === 'checked' || key === 'disabled' || key === 'selected') el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** An SVG element (namespace-aware). */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'style' && typeof value === 'object') Object.assign(el.style, value);
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat();

/** 12345 → "12K". */
export function fmtCompact(n) { return n === null || n === undefined ? '—' : compact.format(n); }
/** 12345 → "12,345". */
export function fmtInt(n) { return n === null || n === undefined ? '—' : whole.format(n); }
/** 0.1234 → "12.3%". */
export function fmtPct(x, digits = 1) { return x === null || x === undefined || Number.isNaN(x) ? '—' : `${(x * 100).toFixed(digits)}%`; }

/** Seconds → "3m 20s", "2h 05m", "3d 4h". Negative values read as overdue by the caller. */
export function fmtDuration(totalSeconds) {
  if (totalSeconds === null || totalSeconds === undefined || Number.isNaN(totalSeconds)) return '—';
  const sec = Math.abs(Math.round(totalSeconds));
  if (sec < 60) return `${sec}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m ${String(sec % 60).padStart(2, '0')}s`;
  if (sec < 86400) return `${Math.floor(sec / 3600)}h ${String(Math.floor((sec % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(sec / 86400)}d ${Math.floor((sec % 86400) / 3600)}h`;
}

/** A timestamp (RFC 3339 string or epoch ms) as Date. */
export function toDate(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return new Date(value);
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "5m ago" with the exact time as tooltip, inside a <time> element. */
export function timeAgo(value) {
  const d = toDate(value);
  if (!d) return h('span', { class: 'muted' }, '—');
  const seconds = (Date.now() - d.getTime()) / 1000;
  const text = seconds < 45 ? 'just now' : seconds < 0 ? d.toLocaleString() : `${fmtDuration(seconds).split(' ')[0]} ago`;
  return h('time', { datetime: d.toISOString(), title: d.toLocaleString() }, text);
}

/** A short absolute date-time. */
export function fmtDateTime(value) {
  const d = toDate(value);
  return d ? d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';
}

/** A coloured badge; class follows the label for sentiment and priority labels. */
export function badge(text, kind = '', title = '') {
  return h('span', { class: `badge ${kind}`.trim(), title: title || undefined }, text);
}

/** Sentiment badge with the compound score in the tooltip. */
export function sentimentBadge(analysis) {
  if (!analysis?.sentiment) return null;
  const sentiment = analysis.sentiment;
  const compound = sentiment.vader?.compound;
  return badge(sentiment.label, sentiment.label, `sentiment ${sentiment.label} (${Math.round((sentiment.confidence || 0) * 100)}% sure; VADER compound ${compound?.toFixed?.(3) ?? '—'}; ${sentiment.model || ''})`);
}

/** Badge for a classifier task (intent, urgency, reason…), null when absent. */
export function taskBadge(analysis, task) {
  const prediction = analysis?.[task];
  if (!prediction || !prediction.label || prediction.label === 'none') return null;
  const kind = task === 'urgency' ? (prediction.label === 'high' || prediction.label === 'urgent' ? 'urgent' : prediction.label === 'medium' ? 'warn' : '') : task === 'toxicity' && !/^(not_|non_|clean|none|ok)/.test(prediction.label) ? 'negative' : 'info';
  return badge(`${task === 'intent' ? '' : task + ': '}${prediction.label}`, kind, `${task}: ${prediction.label} (${Math.round((prediction.confidence || 0) * 100)}% sure; ${prediction.model || ''})`);
}

/** Shows a short message in the corner; errors stay longer. */
export function toast(message, kind = '') {
  const box = document.getElementById('toasts');
  if (!box) return;
  const el = h('div', { class: `toast ${kind}`.trim() }, message);
  box.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 3500);
}

/** Debounces a function. */
export function debounce(fn, ms = 250) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

/** A labelled form field: label + control, wired by id. */
export function field(labelText, control, hint) {
  if (!control.id) control.id = `f-${Math.random().toString(36).slice(2, 9)}`;
  return h('div', { class: 'field' }, h('label', { for: control.id }, labelText), control, hint ? h('div', { class: 'muted small' }, hint) : null);
}

/** Turns rows (array of objects) into CSV text with a header line. */
export function toCsv(rows, columns) {
  const cols = columns || Object.keys(rows[0] || {});
  const cell = (v) => {
    if (v === null || v === undefined) return '';
    const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [cols.join(','), ...rows.map((row) => cols.map((c) => cell(row[c])).join(','))].join('\r\n') + '\r\n';
}

/** Offers text as a downloaded file. */
export function download(filename, text, type = 'text/csv') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Roving selection for keyboard lists (j/k): returns helpers bound to a container and item selector. */
export function listNav(container, selector) {
  return {
    items: () => [...container.querySelectorAll(selector)],
    current() { return container.querySelector(`${selector}[aria-selected="true"]`); },
    move(delta) {
      const items = this.items();
      if (!items.length) return null;
      const index = items.indexOf(this.current());
      const next = items[Math.max(0, Math.min(items.length - 1, index < 0 ? 0 : index + delta))];
      items.forEach((item) => item.setAttribute('aria-selected', item === next ? 'true' : 'false'));
      next.scrollIntoView({ block: 'nearest' });
      return next;
    },
  };
}
