// Approvals: replies waiting for a lead, with the case, the author's reach and why approval is needed.

import { api, endpoints, optional } from './api.js';
import { h, mount, badge, timeAgo } from './ui.js';
import { approvalControls } from './case.js';
import { session } from './app.js';

export async function renderApprovals(main) {
  const panel = h('div', {});
  async function load() {
    let data;
    try { data = await api(endpoints.approvals, { query: { status: 'pending' } }); } catch (error) {
      mount(panel, h('p', { class: 'error-text', role: 'alert' }, error.status === 404 ? 'Approvals are not available on this server yet.' : error.message));
      return;
    }
    const items = data?.items || data?.approvals || (Array.isArray(data) ? data : []);
    if (!items.length) { mount(panel, h('p', { class: 'empty' }, 'Nothing waits for approval.')); return; }
    const lead = ['lead', 'admin'].includes(session.me?.role);
    // Context for the decision: the case each reply answers, and who wrote the reply.
    const caseIds = [...new Set(items.map((item) => item.case_id || item.reply?.case_id).filter(Boolean))].slice(0, 30);
    const [cases, users] = await Promise.all([
      Promise.all(caseIds.map((id) => api(endpoints.case(id)).then((d) => [id, d.case || d]).catch(() => [id, null]))),
      optional(endpoints.users, {}, null).catch(() => null),
    ]);
    const caseById = new Map(cases);
    const names = new Map((users?.items || []).map((u) => [u.id, u.display_name || u.username]));
    mount(panel, h('ul', { class: 'posts', id: 'approvals-list' }, items.map((item) => {
      const reply = item.reply || item;
      const caseId = item.case_id || reply.case_id;
      const theCase = caseById.get(caseId);
      const author = names.get(reply.author_id) || (reply.author_id === session.me?.id ? 'you' : null);
      return h('li', { class: 'post ours', dataset: { replyId: reply.id } },
        theCase ? h('div', { class: 'small muted' }, `${theCase.team} · ${theCase.priority} · answering: `, h('q', {}, theCase.title)) : null,
        h('div', { class: 'meta' }, caseId ? h('a', { href: `#/cases/${caseId}` }, `Case #${caseId}`) : null, badge(reply.channel || 'reply', 'channel'), reply.recipient ? h('span', {}, `to @${reply.recipient}`) : null, h('span', { class: 'author' }, author ? `by ${author}` : reply.author_id ? `by user #${reply.author_id}` : 'by an agent'), timeAgo(reply.created_at),
          badge(item.reason || reply.approval_reason || 'approval policy', 'warn')),
        h('div', { class: 'text' }, reply.text || reply.body),
        lead ? approvalControls(reply, load) : h('p', { class: 'muted small' }, 'A lead will review this reply.'));
    })));
  }
  mount(main, h('section', { class: 'panel', 'aria-labelledby': 'approvals-title' }, h('header', {}, h('h1', { id: 'approvals-title' }, 'Replies waiting for approval')), panel));
  await load();
}
