// The first screen: what needs attention now — queues with counts, oldest waiting and SLA risk,
// alerts and spikes, and the live stream.

import { api, endpoints, optional } from './api.js';
import { h, mount, badge, timeAgo, fmtInt, fmtPct, fmtCompact } from './ui.js';
import { LiveFeed } from './live.js';
import { loadQueues } from './queues.js';

/** Spikes from hourly volume: the last hour against the previous day's hourly mean and spread. */
export function detectSpikes(points) {
  if (points.length < 6) return [];
  const alerts = [];
  const last = points.at(-1);
  const history = points.slice(0, -1);
  const mean = history.reduce((a, p) => a + p.total, 0) / history.length;
  const sd = Math.sqrt(history.reduce((a, p) => a + (p.total - mean) ** 2, 0) / history.length) || 1;
  const z = (last.total - mean) / sd;
  if (last.total >= 5 && z >= 2) alerts.push({ severity: z >= 4 ? 'severe' : 'warn', title: `Volume spike: ${fmtInt(last.total)} posts in the last hour`, detail: `${(last.total / Math.max(mean, 1)).toFixed(1)}× the hourly average of ${mean.toFixed(0)} (z = ${z.toFixed(1)})`, since: last.start });
  const negShare = last.total ? last.negative / last.total : 0;
  const histNeg = history.reduce((a, p) => a + p.negative, 0) / Math.max(1, history.reduce((a, p) => a + p.total, 0));
  if (last.total >= 5 && negShare > histNeg + 0.15) alerts.push({ severity: negShare > histNeg + 0.3 ? 'severe' : 'warn', title: `Negative sentiment up: ${fmtPct(negShare)} of the last hour`, detail: `usually ${fmtPct(histNeg)}`, since: last.start });
  return alerts;
}

export async function renderOverview(main) {
  const now = new Date();
  const since = new Date(now.getTime() - 24 * 3600 * 1000).toISOString();
  const [stats, queues, volume, alertData] = await Promise.all([
    optional(endpoints.stats, {}, {}).catch(() => ({})),
    loadQueues().catch(() => []),
    optional(endpoints.volume, { query: { bucket: 'hour', since } }, { points: [] }).catch(() => ({ points: [] })),
    optional(endpoints.alerts, { query: { limit: 10 } }, null).catch(() => null),
  ]);
  const points = volume?.points || [];
  const lastDay = points.reduce((a, p) => a + p.total, 0);
  const negDay = points.reduce((a, p) => a + p.negative, 0);
  const serverAlerts = (alertData?.items || alertData?.alerts || []).map((a) => ({ severity: a.severity === 'high' || a.severity === 'critical' || a.severity === 'severe' ? 'severe' : 'warn', title: a.title || a.name || a.message || a.kind, detail: a.detail || a.query || '', since: a.created_at || a.started_at }));
  const alerts = [...serverAlerts, ...detectSpikes(points)];
  const totalWaiting = queues.reduce((a, q) => a + (q.count || 0), 0);
  const atRisk = queues.reduce((a, q) => a + (q.at_risk || 0), 0);
  const breached = queues.reduce((a, q) => a + (q.breached || 0), 0);

  const kpis = h('div', { class: 'kpis', role: 'list', 'aria-label': 'Key figures' },
    kpi('Posts stored', fmtCompact(stats.posts)),
    kpi('Last 24 hours', fmtInt(lastDay)),
    kpi('Negative, 24 h', lastDay ? fmtPct(negDay / lastDay) : '—'),
    kpi('Waiting in queues', fmtInt(totalWaiting)),
    kpi('About to breach', atRisk || breached ? fmtInt(atRisk) : '0', atRisk ? 'warn' : ''),
    kpi('SLA breached', fmtInt(breached), breached ? 'negative' : ''));

  const queueList = queues.length
    ? h('ul', { class: 'queue-list' }, queues.sort((a, b) => (b.breached || 0) - (a.breached || 0) || (b.at_risk || 0) - (a.at_risk || 0) || b.count - a.count).map((q) => h('li', {},
      h('a', { href: `#/queues/${encodeURIComponent(q.queue)}` }, q.queue),
      h('span', { class: 'badges' }, badge(`${fmtInt(q.count)} waiting`), q.at_risk ? badge(`${q.at_risk} at risk`, 'warn') : null, q.breached ? badge(`${q.breached} breached`, 'breached') : null),
      h('span', { class: 'small muted' }, 'oldest ', timeAgo(q.oldest_at)))))
    : h('p', { class: 'empty' }, 'No queues yet.');

  const alertList = alerts.length
    ? h('ul', { class: 'alerts' }, alerts.map((a) => h('li', { class: a.severity }, h('strong', {}, a.title), h('div', { class: 'small' }, a.detail, a.since ? [' · ', timeAgo(a.since)] : null))))
    : h('p', { class: 'empty' }, 'All quiet: no spikes or alerts in the last 24 hours.');

  const liveList = h('ul', { class: 'posts scroll', id: 'overview-live', 'aria-label': 'Live posts, newest first' });
  const pause = h('button', { class: 'btn small', type: 'button', 'aria-pressed': 'false', id: 'overview-pause' }, 'Pause');
  const note = h('span', { class: 'small muted', role: 'status' });
  const feed = new LiveFeed(liveList, { compact: true, onCount: (f) => {
    pause.textContent = f.paused ? `Resume (${f.buffer.length} new)` : 'Pause';
    pause.setAttribute('aria-pressed', String(f.paused));
    note.textContent = `${fmtInt(f.received)} new`;
  } });
  pause.addEventListener('click', () => feed.toggle());

  mount(main,
    h('h1', { class: 'sr-only' }, 'Overview'),
    kpis,
    h('div', { class: 'grid overview' },
      h('section', { class: 'panel', 'aria-labelledby': 'ov-queues' }, h('header', {}, h('h2', { id: 'ov-queues' }, 'Queues'), h('a', { href: '#/queues', class: 'small' }, 'All queues')), queueList),
      h('section', { class: 'panel', 'aria-labelledby': 'ov-alerts' }, h('header', {}, h('h2', { id: 'ov-alerts' }, 'Alerts and spikes'), h('a', { href: '#/analytics', class: 'small' }, 'Analytics')), alertList,
        points.length ? h('p', { class: 'small muted' }, `${fmtInt(lastDay)} posts in 24 h across ${Object.keys(stats.by_channel || {}).length || '—'} channels.`) : null),
      h('section', { class: 'panel live-panel', 'aria-labelledby': 'ov-live' }, h('header', {}, h('h2', { id: 'ov-live' }, 'Live'), h('span', { class: 'row' }, note, pause, h('a', { href: '#/live', class: 'small' }, 'Full stream'))), liveList)));
  feed.connect('');
  return { cleanup: () => feed.close(), keys: (event) => { if (event.key === 'p') { feed.toggle(); return true; } return false; } };
}

function kpi(label, value, kind = '') {
  return h('div', { class: 'kpi', role: 'listitem' }, h('div', { class: `value ${kind}` }, value), h('div', { class: 'label' }, label));
}
