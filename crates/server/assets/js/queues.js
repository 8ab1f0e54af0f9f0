// Queues: one tab per team with counts, oldest waiting and SLA timers; cases about to breach
// stand out; take, assign and bulk actions (select with x or the checkboxes).

import { api, endpoints, optional } from './api.js';
import { h, mount, badge, timeAgo, fmtInt, toast, listNav } from './ui.js';
import { slaState, slaTimer, slaDue, startTicker } from './sla.js';
import { session } from './app.js';

/** Reads the list of cases from whatever envelope the endpoint uses. */
export function caseItems(data) {
  return data?.items || data?.cases || (Array.isArray(data) ? data : []);
}

/** The case's headline: subject, or the first words of its first post. */
export function caseTitle(item) {
  return item.title || item.subject || item.summary || item.first_post?.text || item.post?.text || `Case #${item.id}`;
}

/** The customer's name on a case. */
export function caseCustomer(item) {
  const customer = item.customer || {};
  return customer.display_name || customer.name || (customer.handle ? `@${customer.handle}` : null) || item.customer_name || item.author?.handle || (item.first_post?.author?.handle ? `@${item.first_post.author.handle}` : null) || (item.customer_id ? `customer #${item.customer_id}` : '—');
}

const knownUsers = new Map();

function assigneeName(item) {
  if (item.assignee?.name || item.assignee?.display_name || item.assignee_name) return item.assignee?.name || item.assignee?.display_name || item.assignee_name;
  if (session.me && item.assignee_id === session.me.id) return 'you';
  const user = knownUsers.get(item.assignee_id);
  return user ? (user.display_name || user.username) : item.assignee_id ? `user #${item.assignee_id}` : null;
}

/** Fetches the SLA figures of up to 150 cases (8 at a time) and puts them on the cases. */
async function attachSla(cases) {
  const todo = cases.filter((c) => !c.sla && c.sla_policy && !['resolved', 'closed'].includes(c.status)).slice(0, 150);
  let next = 0;
  async function worker() {
    while (next < todo.length) {
      const item = todo[next++];
      item.sla = await optional(endpoints.caseSla(item.id), {}, null).catch(() => null);
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Queue summaries: CRM queues (with SLA) when available, routed post queues otherwise. */
export async function loadQueues() {
  const crm = await optional(endpoints.queueSummary, {}, null).catch(() => null);
  const list = crm?.queues?.length ? crm.queues : (await optional(endpoints.queues, {}, { queues: [] }))?.queues || [];
  return list.map((q) => ({
    queue: q.queue || q.team || q.name,
    count: q.open ?? q.count ?? 0,
    oldest_at: q.oldest_at || q.oldest_waiting_at,
    at_risk: q.at_risk ?? q.about_to_breach ?? null,
    breached: q.breached ?? null,
    unassigned: q.unassigned ?? null,
  }));
}

/** The queues screen. */
export async function renderQueues(main, { match, params }) {
  const queues = await loadQueues();
  const me = session.me || {};
  const mine = new Set(me.teams || []);
  const visible = queues.filter((q) => ['admin', 'analyst'].includes(me.role) || mine.size === 0 || mine.has(q.queue));
  const selectedQueue = decodeURIComponent(match[1] || '') || params.get('queue') || visible.find((q) => mine.has(q.queue))?.queue || visible[0]?.queue || '';
  const users = (await optional(endpoints.users, {}, { items: [] }).catch(() => null)) || {};
  const userList = users.items || users.users || (Array.isArray(users) ? users : []);
  for (const user of userList) knownUsers.set(user.id, user);

  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Team queues' },
    visible.map((q) => h('button', { role: 'tab', type: 'button', id: `tab-${q.queue}`, 'aria-selected': String(q.queue === selectedQueue), 'aria-controls': 'queue-panel', onclick: () => { location.hash = `#/queues/${encodeURIComponent(q.queue)}`; } },
      q.queue, ' ', badge(fmtInt(q.count), q.breached ? 'breached' : q.at_risk ? 'warn' : ''))));
  const statusSelect = h('select', { id: 'queue-status' },
    ['active', 'new', 'open', 'pending_customer', 'pending_internal', 'resolved', 'closed', 'all'].map((s) => h('option', { value: s, selected: (params.get('status') || 'active') === s }, s.replace('_', ' '))));
  const mineOnly = h('input', { type: 'checkbox', id: 'queue-mine', checked: params.get('mine') === '1' });
  const panel = h('div', { id: 'queue-panel', role: 'tabpanel', 'aria-labelledby': selectedQueue ? `tab-${selectedQueue}` : undefined });
  const bulkCount = h('span', {}, '0 selected');
  const assignSelect = h('select', { id: 'bulk-assignee', 'aria-label': 'Assign selected cases to' },
    h('option', { value: '' }, 'Assign to…'), userList.map((u) => h('option', { value: u.id }, `${u.display_name || u.name || u.username}${u.role ? ` (${u.role})` : ''}`)));
  const bulkbar = h('div', { class: 'bulkbar', hidden: true, role: 'region', 'aria-label': 'Bulk actions' }, bulkCount,
    h('button', { class: 'btn small', type: 'button', onclick: () => bulk('take') }, 'Take'),
    assignSelect, h('button', { class: 'btn small', type: 'button', onclick: () => bulk('assign') }, 'Assign'),
    h('button', { class: 'btn small', type: 'button', onclick: () => bulk('resolved') }, 'Resolve'),
    h('button', { class: 'btn small', type: 'button', onclick: () => bulk('pending_customer') }, 'Pending customer'),
    h('button', { class: 'btn small ghost', type: 'button', onclick: () => { panel.querySelectorAll('input.pick').forEach((c) => { c.checked = false; }); updateBulk(); } }, 'Clear'));

  function selectedIds() {
    return [...panel.querySelectorAll('input.pick:checked')].map((c) => Number(c.value));
  }
  function updateBulk() {
    const ids = selectedIds();
    bulkbar.hidden = ids.length === 0;
    bulkCount.textContent = `${ids.length} selected`;
  }
  async function bulk(action) {
    const ids = selectedIds();
    if (!ids.length) return;
    if (action === 'assign' && !assignSelect.value) { assignSelect.focus(); toast('Choose who to assign the cases to first.'); return; }
    let done = 0;
    const failures = [];
    for (const id of ids) {
      try {
        if (action === 'take') await api(endpoints.caseTake(id), { method: 'POST' });
        else if (action === 'assign') await api(endpoints.caseAssign(id), { method: 'POST', body: { user_id: Number(assignSelect.value) } });
        else await api(endpoints.caseStatus(id), { method: 'POST', body: { status: action } });
        done += 1;
      } catch (error) { failures.push(`#${id}: ${error.message}`); }
    }
    toast(`${done} of ${ids.length} cases updated${failures.length ? `; ${failures[0]}` : ''}`, failures.length ? 'error' : '');
    load();
  }

  async function load() {
    mount(panel, h('p', { class: 'loading' }, 'Loading cases…'));
    const status = statusSelect.value;
    let data;
    try {
      data = await api(endpoints.cases, { query: { team: selectedQueue || undefined, status: status === 'all' || status === 'active' ? undefined : status, assignee_id: mineOnly.checked ? session.me?.id : undefined, limit: 500 } });
    } catch (error) {
      mount(panel, h('p', { class: 'error-text', role: 'alert' }, `Could not load cases: ${error.message}`));
      return;
    }
    const listed = caseItems(data).filter((c) => status !== 'active' || !['resolved', 'closed'].includes(c.status));
    await attachSla(listed);
    const items = listed.sort((a, b) => (slaDue(a)?.getTime() ?? Infinity) - (slaDue(b)?.getTime() ?? Infinity));
    if (!items.length) { mount(panel, h('p', { class: 'empty' }, 'No cases here. Nice.')); updateBulk(); return; }
    const allBox = h('input', { type: 'checkbox', 'aria-label': 'Select all cases', onchange: () => { panel.querySelectorAll('input.pick').forEach((c) => { c.checked = allBox.checked; }); updateBulk(); } });
    const rows = items.map((item) => {
      const state = slaState(item);
      const assignee = assigneeName(item);
      return h('tr', { class: state === 'breached' ? 'breach' : state === 'at-risk' ? 'at-risk' : '', dataset: { caseId: item.id }, 'aria-selected': 'false' },
        h('td', {}, h('input', { type: 'checkbox', class: 'pick', value: item.id, 'aria-label': `Select case ${item.id}`, onchange: updateBulk })),
        h('td', {}, h('a', { href: `#/cases/${item.id}` }, `#${item.id}`)),
        h('td', { class: 'clip', title: caseTitle(item) }, item.channel ? [badge(item.channel, 'channel'), ' '] : null, caseTitle(item)),
        h('td', {}, caseCustomer(item)),
        h('td', {}, badge(item.priority || 'normal', item.priority || '')),
        h('td', {}, (item.status || '').replace('_', ' ')),
        h('td', {}, timeAgo(item.awaiting_since || item.waiting_since || item.opened_at || item.created_at)),
        h('td', {}, slaTimer(item), state === 'at-risk' ? h('span', { class: 'sr-only' }, ' (about to breach)') : null),
        h('td', {}, assignee || h('span', { class: 'muted' }, 'unassigned')),
        h('td', {}, h('button', { class: 'btn small', type: 'button', onclick: async () => {
          try { await api(endpoints.caseTake(item.id), { method: 'POST' }); toast(`You took case #${item.id}`); load(); } catch (error) { toast(error.message, 'error'); }
        } }, 'Take')));
    });
    mount(panel, h('div', { class: 'table-wrap' }, h('table', { id: 'cases-table' },
      h('caption', { class: 'sr-only' }, `Cases in ${selectedQueue}, soonest SLA first`),
      h('thead', {}, h('tr', {}, h('th', {}, allBox), h('th', {}, 'Case'), h('th', {}, 'About'), h('th', {}, 'Customer'), h('th', {}, 'Priority'), h('th', {}, 'Status'), h('th', {}, 'Waiting'), h('th', {}, 'SLA'), h('th', {}, 'Assignee'), h('th', {}, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, rows))));
    updateBulk();
  }

  statusSelect.addEventListener('change', load);
  mineOnly.addEventListener('change', load);
  const summary = visible.find((q) => q.queue === selectedQueue);
  mount(main, h('section', { class: 'panel', 'aria-labelledby': 'queues-title' },
    h('header', {}, h('h1', { id: 'queues-title' }, 'Queues'),
      summary ? h('span', { class: 'muted' }, `${fmtInt(summary.count)} waiting · oldest `, timeAgo(summary.oldest_at)) : null),
    visible.length ? tabs : h('p', { class: 'empty' }, 'No queues yet: routing rules put posts into team queues.'),
    h('div', { class: 'row' }, h('label', { for: 'queue-status' }, 'Status'), statusSelect, h('label', { for: 'queue-mine' }, mineOnly, ' Only mine')),
    bulkbar, panel));
  await load();
  const stopTicker = startTicker(panel);
  const refresh = setInterval(() => { if (!document.hidden && !selectedIds().length) load(); }, 30000);
  const nav = listNav(panel, 'tbody tr');
  return {
    cleanup: () => { stopTicker(); clearInterval(refresh); },
    keys: (event) => {
      if (event.key === 'j') { nav.move(1); return true; }
      if (event.key === 'k') { nav.move(-1); return true; }
      const row = nav.current();
      if (!row) return false;
      if (event.key === 'Enter' || event.key === 'o') { location.hash = `#/cases/${row.dataset.caseId}`; return true; }
      if (event.key === 'x') { const box = row.querySelector('input.pick'); box.checked = !box.checked; updateBulk(); return true; }
      if (event.key === 't') { row.querySelector('td:last-child button')?.click(); return true; }
      return false;
    },
  };
}
