// The case view: thread in order (public and private), customer profile and history, the
// analysis with its explanation and a label correction, notes, the reply composer with templates,
// approvals, hand-off to a private channel, and logging a complaint or hint.

import { api, endpoints, optional } from './api.js';
import { h, mount, badge, timeAgo, fmtCompact, fmtDateTime, toast, field, toDate } from './ui.js';
import { postCard, authorLine } from './posts.js';
import { slaTimer, startTicker } from './sla.js';
import { caseTitle, caseCustomer } from './queues.js';
import { session, refreshApprovalCount } from './app.js';

/** Labels offered when correcting each task. */
export const LABELS = {
  sentiment: ['positive', 'neutral', 'negative'],
  intent: ['complaint', 'question', 'praise', 'suggestion', 'lead', 'spam', 'other'],
  complaint: ['complaint', 'not_complaint'],
  urgency: ['low', 'medium', 'high'],
  reason: ['delivery', 'billing', 'product_quality', 'customer_service', 'website', 'account', 'refund', 'safety', 'other'],
  toxicity: ['clean', 'toxic'],
};
const TASKS = ['sentiment', 'intent', 'complaint', 'reason', 'urgency', 'toxicity'];

/** Lists a field that may be named several ways. */
function listOf(object, ...keys) {
  for (const key of keys) if (Array.isArray(object?.[key])) return object[key];
  return [];
}

function isLead() { return ['lead', 'admin'].includes(session.me?.role); }
function canWrite() { return session.me?.role !== 'analyst'; }

/** The explanation of one prediction as a bar list (strongest push first). */
export function explainList(explain = []) {
  if (!explain.length) return h('p', { class: 'muted small' }, 'No explanation recorded for this prediction.');
  const max = Math.max(...explain.map((c) => Math.abs(c.weight)), 0.0001);
  return h('div', { class: 'explain', role: 'list' }, explain.slice(0, 8).map((c) => [
    h('span', { role: 'listitem', class: 'mono' }, c.feature),
    h('span', { 'aria-hidden': 'true' }, h('span', { class: `bar${c.weight >= 0 ? ' pos' : ''}`, style: { width: `${Math.round((Math.abs(c.weight) / max) * 100)}%`, display: 'block' } })),
    h('span', { class: 'mono' }, `${c.weight >= 0 ? '+' : ''}${Number(c.weight).toFixed(2)}`),
  ]));
}

/** The analysis panel of a post: each task's label, confidence, model, explanation and correction. */
export function analysisPanel(post, onCorrected = () => {}) {
  const analysis = post.analysis || {};
  const corrections = post.corrections || [];
  const tasks = TASKS.filter((task) => analysis[task]);
  return h('div', { class: 'analysis', id: 'analysis-panel' },
    h('p', { class: 'small muted' }, `Post #${post.id} · language ${analysis.language || '—'} (${Math.round((analysis.language_confidence || 0) * 100)}%)`,
      analysis.sentiment?.vader ? ` · VADER compound ${analysis.sentiment.vader.compound.toFixed(3)}` : ''),
    tasks.map((task) => {
      const prediction = analysis[task];
      const corrected = corrections.filter((c) => c.task === task).at(-1);
      const select = h('select', { 'aria-label': `Correct the ${task} label`, id: `correct-${task}`, disabled: !canWrite() },
        h('option', { value: '' }, 'Correct to…'), (LABELS[task] || []).map((label) => h('option', { value: label, disabled: label === prediction.label }, label)));
      const button = h('button', { class: 'btn small', type: 'button', disabled: !canWrite(), onclick: async () => {
        if (!select.value) { select.focus(); return; }
        try {
          await api(endpoints.corrections(post.id), { method: 'POST', body: { task, label: select.value } });
          toast(`Saved: ${task} is "${select.value}". Thank you — corrections become training data.`);
          onCorrected();
        } catch (error) { toast(error.message, 'error'); }
      } }, 'Save');
      return h('details', { class: 'analysis-task', open: task === 'sentiment' || task === 'intent' },
        h('summary', {}, h('strong', {}, task), badge(prediction.label, task === 'sentiment' ? prediction.label : 'info'),
          h('span', { class: 'muted small' }, `${Math.round((prediction.confidence || 0) * 100)}% · ${prediction.model || ''}`),
          corrected ? badge(`corrected → ${corrected.label}`, 'warn', `by ${corrected.user || 'someone'} ${fmtDateTime(corrected.created_at)}`) : null),
        explainList(prediction.explain),
        h('div', { class: 'row' }, select, button));
    }),
    tasks.length ? null : h('p', { class: 'empty' }, 'This post has not been analysed yet.'));
}

function replyItem(reply, reload) {
  const status = reply.status || reply.state || 'queued';
  const pending = ['pending_approval', 'awaiting_approval', 'pending'].includes(status);
  return h('li', { class: `post ours${reply.visibility === 'private' || reply.private ? ' private' : ''}`, dataset: { replyId: reply.id, status } },
    h('div', { class: 'meta' }, badge(reply.channel || 'reply', 'channel'), reply.visibility === 'private' ? badge('private', 'private') : null, h('span', { class: 'author' }, `Our reply by ${userName(reply.author_id) || reply.author_name || 'an agent'}`), reply.recipient ? h('span', {}, `to @${reply.recipient}`) : null, timeAgo(reply.created_at),
      badge(status.replaceAll('_', ' '), pending ? 'warn' : status === 'rejected' || status === 'sent_back' ? 'negative' : status === 'delivered' || status === 'sent' ? 'positive' : 'info', reply.outcome_reason || reply.reason || '')),
    h('div', { class: 'text' }, reply.text || reply.body),
    reply.review_comment || reply.comment ? h('div', { class: 'note' }, `Lead's comment: ${reply.review_comment || reply.comment}`) : null,
    pending && reply.approval_reason ? h('p', { class: 'small muted' }, `Needs approval: ${reply.approval_reason}`) : null,
    pending && isLead() ? approvalControls(reply, reload) : null,
    status === 'sent_back' && canWrite() ? reviseControls(reply, reload) : null);
}

/** Lets the author rework a reply a lead sent back; it goes back for approval. */
function reviseControls(reply, reload) {
  const text = h('textarea', { 'aria-label': `Revised text of reply ${reply.id}` }, reply.body || '');
  return h('div', { class: 'stack' }, text,
    h('button', { class: 'btn small primary', type: 'button', onclick: async () => {
      if (!text.value.trim()) { text.focus(); return; }
      try { await api(`replies/${reply.id}/revise`, { method: 'POST', body: { body: text.value.trim() } }); toast('Revised; it goes back to the lead.'); refreshApprovalCount(); reload(); } catch (error) { toast(error.message, 'error'); }
    } }, 'Send revised reply'));
}

/** Users by id, for names on replies, notes and the timeline (filled once per case view). */
const users = new Map();
function userName(id) {
  if (id === null || id === undefined) return null;
  if (session.me && id === session.me.id) return `${session.me.display_name || session.me.username} (you)`;
  const user = users.get(id);
  return user ? (user.display_name || user.username) : `user #${id}`;
}
async function loadUsers() {
  if (users.size) return;
  const data = await optional(endpoints.users, {}, null).catch(() => null);
  for (const user of data?.items || data?.users || (Array.isArray(data) ? data : [])) users.set(user.id, user);
}

/** Case posts may come as references ({post_id}); fetch the full posts for the thread. */
async function fullPosts(list) {
  return Promise.all(list.map(async (item) => {
    if (item.text !== undefined) return item;
    const id = item.post_id ?? item.id;
    try {
      const post = await api(endpoints.post(id));
      return { ...post, taken_private_at: item.taken_private_at };
    } catch {
      return { id, channel: item.channel, author: { handle: item.author_handle }, text: '(this post is not visible to you)', visibility: item.visibility, created_at: item.linked_at };
    }
  }));
}

/** Approve / send back controls for a reply awaiting approval. */
export function approvalControls(reply, reload) {
  const comment = h('input', { 'aria-label': `Comment for reply ${reply.id}`, placeholder: 'Comment (needed to send back)', class: 'approval-comment' });
  return h('div', { class: 'row' },
    h('button', { class: 'btn primary small approve', type: 'button', dataset: { replyId: reply.id }, onclick: async () => {
      try { await api(endpoints.approve(reply.id), { method: 'POST', body: { comment: comment.value || null } }); toast('Approved; the reply is on its way.'); refreshApprovalCount(); reload(); } catch (error) { toast(error.message, 'error'); }
    } }, 'Approve'),
    comment,
    h('button', { class: 'btn small danger', type: 'button', onclick: async () => {
      if (!comment.value.trim()) { comment.focus(); toast('Say what should change before sending it back.'); return; }
      try { await api(endpoints.sendBack(reply.id), { method: 'POST', body: { comment: comment.value } }); toast('Sent back to the agent.'); refreshApprovalCount(); reload(); } catch (error) { toast(error.message, 'error'); }
    } }, 'Send back'));
}

/** The customer's name: profile, else the first post's author. */
function customerName(data) {
  const author = listOf(data, 'posts', 'thread')[0]?.author;
  if (data.customer?.display_name) return data.customer.display_name;
  if (author) return author.display_name ? `${author.display_name} (@${author.handle})` : `@${author.handle}`;
  return caseCustomer(data);
}

/** Notes: a `notes` list, or the `note` events of the timeline. */
function notesOf(data) {
  const notes = listOf(data, 'notes');
  if (notes.length) return notes;
  return listOf(data, 'timeline', 'events').filter((e) => e.kind === 'note').map((e) => ({ ...e, body: e.data?.body || e.data?.text }));
}

/** A short text for a timeline event's data. */
function eventDetail(event) {
  const data = event.data || {};
  if (typeof data !== 'object') return String(data);
  const parts = [];
  for (const [key, value] of Object.entries(data)) {
    if (value === null || value === undefined || key === 'body') continue;
    parts.push(`${key.replaceAll('_', ' ')}: ${typeof value === 'object' ? JSON.stringify(value) : value}`);
    if (parts.length >= 3) break;
  }
  return parts.length ? `(${parts.join(', ')})` : '';
}

/** Builds the chronological thread: posts (public and private), our replies, hand-off markers. */
function threadItems(data, reload, selectPost) {
  const entries = [];
  for (const post of listOf(data, 'posts', 'thread')) entries.push({ at: toDate(post.created_at), node: postCard(post, { actions: false, extra: h('div', { class: 'row' }, h('button', { class: 'btn small ghost', type: 'button', onclick: () => selectPost(post) }, 'Show analysis')) }) });
  for (const reply of listOf(data, 'replies')) entries.push({ at: toDate(reply.created_at), node: replyItem(reply, reload) });
  for (const handoff of listOf(data, 'handoffs')) entries.push({ at: toDate(handoff.created_at), node: h('li', { class: 'post private' }, h('div', { class: 'meta' }, badge('taken private', 'private'), timeAgo(handoff.created_at)), h('div', { class: 'text' }, `Invited to continue by ${(handoff.via || 'a private channel').replace('_', ' ')} (reference ${handoff.reference || '—'})${handoff.completed_at ? ' — the customer continued in private.' : ' — waiting for the customer.'}`)) });
  entries.sort((a, b) => (a.at?.getTime() ?? 0) - (b.at?.getTime() ?? 0));
  return entries.map((e) => e.node);
}

/** The case screen. */
export async function renderCase(main, { match }) {
  const id = Number(match[1]);
  let stopTicker = () => {};
  const analysisBox = h('div', {});
  let currentPost = null;

  async function reload() {
    const [raw] = await Promise.all([api(endpoints.case(id)), loadUsers()]);
    const data = raw.case ? { ...raw.case, ...raw } : raw;
    data.posts = await fullPosts(listOf(data, 'posts', 'thread'));
    draw(data);
  }

  function selectPost(post) {
    currentPost = post;
    mount(analysisBox, analysisPanel(post, async () => { const fresh = await api(endpoints.post(post.id)); selectPost(fresh); }));
  }

  async function draw(data) {
    stopTicker();
    const posts = listOf(data, 'posts', 'thread');
    const customer = data.customer || {};
    const templates = await optional(endpoints.templates, {}, { items: [] });
    const templateList = listOf(templates, 'items', 'templates');

    // composer
    const replyText = h('textarea', { id: 'reply-text', 'aria-describedby': 'reply-help', placeholder: 'Write a reply… (Ctrl+Enter sends)' });
    const templateSelect = h('select', { id: 'reply-template' }, h('option', { value: '' }, 'Insert a template…'), templateList.map((t) => h('option', { value: t.id ?? t.name }, t.name || t.title)));
    const publicRadio = h('input', { type: 'radio', name: 'reply-visibility', value: 'public', id: 'reply-public', checked: true });
    const privateRadio = h('input', { type: 'radio', name: 'reply-visibility', value: 'private', id: 'reply-private' });
    let templateUsed = null;
    templateSelect.addEventListener('change', async () => {
      const template = templateList.find((t) => String(t.id ?? t.name) === templateSelect.value);
      if (!template) return;
      const text = template.body || template.text || '';
      // Sent by name while unedited, so the server fills {{ variables }} from the case.
      if (!replyText.value.trim()) templateUsed = { name: template.name, text };
      replyText.value = replyText.value ? `${replyText.value}\n${text}` : text;
      replyText.focus();
      templateSelect.value = '';
    });
    const sendReply = async () => {
      const text = replyText.value.trim();
      if (!text) { replyText.focus(); return; }
      try {
        // An unedited template goes by name so the server fills its variables.
        const body = templateUsed && templateUsed.text.trim() === text ? { template: templateUsed.name, private: privateRadio.checked } : { body: text, private: privateRadio.checked };
        const answered = currentPost?.external_id;
        if (answered && currentPost.channel === posts.at(-1)?.channel) body.in_reply_to = answered;
        const result = await api(endpoints.caseReplies(id), { method: 'POST', body });
        templateUsed = null;
        const reply = result.reply || result;
        const status = reply.status || '';
        toast(status.includes('approval') ? `Reply saved; it waits for a lead's approval (${reply.approval_reason || 'approval policy'}).` : 'Reply queued for delivery.');
        replyText.value = '';
        refreshApprovalCount();
        reload();
      } catch (error) { toast(error.message, 'error'); }
    };
    replyText.addEventListener('keydown', (event) => { if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); sendReply(); } });
    const composer = h('section', { class: 'panel', 'aria-labelledby': 'composer-title' },
      h('h2', { id: 'composer-title' }, 'Reply'),
      h('div', { class: 'row' }, field('Template', templateSelect),
        h('fieldset', { class: 'row', style: { border: '0', padding: '0', margin: '0' } }, h('legend', { class: 'sr-only' }, 'Visibility'),
          h('label', { for: 'reply-public' }, publicRadio, ' Public reply'), h('label', { for: 'reply-private' }, privateRadio, ' Private message'))),
      h('label', { for: 'reply-text' }, 'Message'), replyText,
      h('p', { id: 'reply-help', class: 'muted small' }, 'Replies to large accounts or sensitive cases may wait for a lead\'s approval before they are sent.'),
      h('div', { class: 'row' }, h('button', { class: 'btn primary', type: 'button', id: 'reply-send', onclick: sendReply, disabled: !canWrite() }, 'Send reply'),
        h('button', { class: 'btn', type: 'button', onclick: () => handoffDialog(id, reload), disabled: !canWrite() }, 'Hand off to private…'),
        h('button', { class: 'btn', type: 'button', onclick: () => voiceDialog({ caseId: id, postId: currentPost?.id }), disabled: !canWrite() }, 'Log complaint / hint…')));

    // notes
    const noteText = h('textarea', { id: 'note-text', placeholder: 'Internal note, never shown to the customer (Ctrl+Enter saves)' });
    const addNote = async () => {
      if (!noteText.value.trim()) return;
      try { await api(endpoints.caseNotes(id), { method: 'POST', body: { body: noteText.value.trim() } }); noteText.value = ''; reload(); } catch (error) { toast(error.message, 'error'); }
    };
    noteText.addEventListener('keydown', (event) => { if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); addNote(); } });
    const notes = h('section', { class: 'panel', 'aria-labelledby': 'notes-title' }, h('h2', { id: 'notes-title' }, 'Internal notes'),
      notesOf(data).map((n) => h('div', { class: 'note' }, h('div', { class: 'small muted' }, `${userName(n.actor_id) || n.author_name || 'someone'} · `, timeAgo(n.at || n.created_at)), n.body || n.text || n.data?.body || n.data?.text || '')),
      h('label', { for: 'note-text', class: 'sr-only' }, 'New note'), noteText,
      h('button', { class: 'btn', type: 'button', onclick: addNote, disabled: !canWrite() }, 'Add note'));

    // status / assignment
    const statusSelect = h('select', { id: 'case-status', disabled: !canWrite() }, ['new', 'open', 'pending_customer', 'pending_internal', 'resolved', 'closed'].map((s) => h('option', { value: s, selected: data.status === s }, s.replace('_', ' '))));
    statusSelect.addEventListener('change', async () => {
      try { await api(endpoints.caseStatus(id), { method: 'POST', body: { status: statusSelect.value } }); toast(`Status: ${statusSelect.value.replace('_', ' ')}`); reload(); } catch (error) { toast(error.message, 'error'); reload(); }
    });
    const assignee = data.assignee?.name || data.assignee?.display_name || data.assignee_name || userName(data.assignee_id) || 'unassigned';
    const facts = h('section', { class: 'panel', 'aria-labelledby': 'case-facts-title' }, h('h2', { id: 'case-facts-title' }, 'Case'),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Team'), h('dd', {}, data.team || data.queue || '—'),
        h('dt', {}, 'Priority'), h('dd', {}, badge(data.priority || 'normal', data.priority || '')),
        h('dt', {}, 'SLA'), h('dd', {}, slaTimer(data), data.sla?.policy || data.sla_policy ? h('span', { class: 'muted small' }, ` · ${data.sla?.policy || data.sla_policy}`) : null,
          data.sla?.first_response_target_minutes ? h('div', { class: 'small muted' }, `first response within ${data.sla.first_response_target_minutes} min${data.sla.first_response_met === true ? ' — met' : data.sla.first_response_met === false ? ' — missed' : ''}`) : null),
        h('dt', {}, 'Assignee'), h('dd', {}, assignee, ' ', canWrite() ? h('button', { class: 'btn small', type: 'button', id: 'case-take', onclick: async () => { try { await api(endpoints.caseTake(id), { method: 'POST' }); toast('You own this case now.'); reload(); } catch (error) { toast(error.message, 'error'); } } }, 'Take') : null),
        h('dt', {}, h('label', { for: 'case-status' }, 'Status')), h('dd', {}, statusSelect),
        h('dt', {}, 'Tags'), h('dd', {}, (data.tags || []).length ? h('span', { class: 'badges' }, data.tags.map((t) => badge(t))) : '—'),
        h('dt', {}, 'Opened'), h('dd', {}, fmtDateTime(data.created_at || data.opened_at))));

    // customer
    const customerPanel = h('section', { class: 'panel', 'aria-labelledby': 'customer-title' }, h('h2', { id: 'customer-title' }, 'Customer'), h('p', { class: 'loading' }, '…'));
    loadCustomer(customerPanel, data, customer);

    const timeline = listOf(data, 'timeline', 'events', 'audit');
    const title = caseTitle(data);
    mount(main,
      h('nav', { class: 'small', 'aria-label': 'Breadcrumb' }, h('a', { href: `#/queues/${encodeURIComponent(data.queue || data.team || '')}` }, `← ${data.queue || data.team || 'Queues'}`)),
      h('h1', { id: 'case-title' }, `Case #${id}: `, h('span', { class: 'muted' }, title.length > 90 ? `${title.slice(0, 90)}…` : title)),
      h('div', { class: 'grid case' },
        h('div', { class: 'stack' },
          h('section', { class: 'panel', 'aria-labelledby': 'thread-title' }, h('h2', { id: 'thread-title' }, `Conversation with ${customerName(data)}`),
            h('ol', { class: 'thread posts', id: 'case-thread' }, threadItems(data, reload, selectPost))),
          composer, notes,
          timeline.length ? h('section', { class: 'panel' }, h('h2', {}, 'Timeline'), h('ol', { class: 'timeline' }, timeline.map((e) => h('li', {}, h('span', { class: 'muted' }, fmtDateTime(e.at || e.created_at), ' · '), `${userName(e.actor_id) || 'system'}: ${(e.kind || e.action || '').replaceAll('_', ' ')} ${eventDetail(e)}`)))) : null),
        h('div', { class: 'stack' }, facts, customerPanel,
          h('section', { class: 'panel', 'aria-labelledby': 'analysis-title' }, h('h2', { id: 'analysis-title' }, 'Analysis'), analysisBox))));
    const inbound = posts.filter((p) => !p.ours);
    if (inbound.length) selectPost(currentPost ? posts.find((p) => p.id === currentPost.id) || inbound.at(-1) : inbound.at(-1));
    stopTicker = startTicker(main);
  }

  await reload();
  return {
    cleanup: () => stopTicker(),
    keys: (event) => {
      if (event.key === 'r') { document.getElementById('reply-text')?.focus(); return true; }
      if (event.key === 't') { document.getElementById('case-take')?.click(); return true; }
      return false;
    },
  };
}

async function loadCustomer(panel, data, customer) {
  const customerId = customer.id || data.customer_id;
  const profile = customerId ? await optional(endpoints.customer(customerId), {}, null).catch(() => null) : null;
  const person = profile?.customer || profile || customer;
  const identities = listOf(person, 'identities', 'handles');
  const history = (await fullPosts(listOf(profile, 'posts', 'history').slice(-15))).reverse();
  const cases = listOf(profile, 'cases').map((c) => ({ ...c, id: c.id ?? c.case_id }));
  const firstAuthor = listOf(data, 'posts', 'thread')[0]?.author;
  mount(panel, h('h2', { id: 'customer-title' }, 'Customer'),
    h('p', {}, person.display_name || person.name ? h('strong', {}, person.display_name || person.name) : null, firstAuthor ? h('span', { class: 'post' }, h('span', { class: 'meta' }, authorLine(firstAuthor))) : null),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Reach'), h('dd', {}, fmtCompact(person.reach ?? person.followers ?? firstAuthor?.followers)),
      h('dt', {}, 'Identities'), h('dd', {}, identities.length ? h('span', { class: 'badges' }, identities.map((i) => badge(`${i.channel || i.kind}: ${i.handle || i.value}${i.verified ? ' ✓' : ''}`, 'channel', i.followers ? `${i.followers} followers` : ''))) : '—'),
      person.email ? [h('dt', {}, 'Email'), h('dd', {}, person.email)] : null,
      h('dt', {}, 'Cases'), h('dd', {}, cases.length ? cases.map((c) => [h('a', { href: `#/cases/${c.id}`, title: c.title || '' }, `#${c.id}`), ` (${c.team ? `${c.team}, ` : ''}${(c.status || '').replace('_', ' ')}) `]) : (customerId ? 'only this one' : '—'))),
    history.length ? [h('h3', {}, `Latest posts on every channel (${listOf(profile, 'posts').length} in all)`), h('ul', { class: 'posts scroll', style: { maxHeight: '320px' } }, history.slice(0, 30).map((p) => postCard(p, { actions: false })))] : null);
}

/** Dialog: hand the conversation off to a private channel with a public invitation. */
export function handoffDialog(caseId, reload) {
  const channel = h('select', { id: 'handoff-channel' }, [['direct_message', 'Direct message'], ['email', 'Email'], ['phone', 'Phone']].map(([v, l]) => h('option', { value: v }, l)));
  const text = h('textarea', { id: 'handoff-text' }, 'We\'re sorry about this. Could you send us a direct message with your order number so we can sort it out privately?');
  const dialog = h('dialog', { 'aria-labelledby': 'handoff-title' },
    h('form', { method: 'dialog', onsubmit: async (event) => {
      if (event.submitter?.value !== 'ok') return;
      event.preventDefault();
      try {
        const reply = await api(endpoints.caseReplies(caseId), { method: 'POST', body: { body: text.value, handoff: channel.value } });
        if ((reply.status || reply.reply?.status || '').includes('approval')) toast('The invitation waits for a lead\'s approval.');
        toast('Invitation sent; the private conversation will join this case when it arrives.');
        dialog.close();
        reload();
      } catch (error) { toast(error.message, 'error'); }
    } },
    h('h2', { id: 'handoff-title' }, 'Hand off to a private channel'),
    field('Continue on', channel), field('Public invitation', text, 'Posted as a public reply with a reference code; the private message that quotes it joins this case. It may need approval like any reply.'),
    h('div', { class: 'row' }, h('button', { class: 'btn primary', value: 'ok' }, 'Send invitation'), h('button', { class: 'btn', value: 'cancel' }, 'Cancel'))));
  document.body.append(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.showModal();
}

/** Dialog: log a complaint, process glitch, feature request or helpful hint (agents' voice). */
export function voiceDialog({ caseId, postId } = {}) {
  const kind = h('select', { id: 'voice-kind' }, [['complaint', 'Complaint'], ['process_glitch', 'Process glitch'], ['feature_request', 'Feature request'], ['helpful_hint', 'Helpful hint']].map(([v, l]) => h('option', { value: v }, l)));
  const team = h('input', { id: 'voice-team', placeholder: 'default: glitch → operations, request/hint → product, complaint → support' });
  const text = h('textarea', { id: 'voice-text', required: true, placeholder: 'What did you hear? e.g. the tracking page rejects numbers starting with 00' });
  const dialog = h('dialog', { 'aria-labelledby': 'voice-title' },
    h('form', { method: 'dialog', onsubmit: async (event) => {
      if (event.submitter?.value !== 'ok') return;
      event.preventDefault();
      if (!text.value.trim()) { text.focus(); return; }
      try {
        await api(endpoints.voice, { method: 'POST', body: { kind: kind.value, body: text.value.trim(), team: team.value.trim() || null, case_id: caseId ?? null, post_id: postId ?? null } });
        toast('Logged and routed to the owning team. Thank you.');
        dialog.close();
      } catch (error) { toast(error.message, 'error'); }
    } },
    h('h2', { id: 'voice-title' }, 'Log a complaint or hint'),
    field('Kind', kind), field('Owning team', team), field('What happened', text),
    h('div', { class: 'row' }, h('button', { class: 'btn primary', value: 'ok' }, 'Log it'), h('button', { class: 'btn', value: 'cancel' }, 'Cancel'))));
  document.body.append(dialog);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.showModal();
}
