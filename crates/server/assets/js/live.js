// The live stream: posts arrive over server-sent events (`GET /api/v1/live?q=`, event `post`),
// newest first, filtered by a listening query; pausing buffers arrivals so nothing is lost.

import { api, apiUrl, endpoints } from './api.js';
import { h, mount, fmtInt, listNav } from './ui.js';
import { postCard, openPost } from './posts.js';

const MAX_SHOWN = 300;

/** A live feed bound to a list element: connects, buffers while paused, trims old items. */
export class LiveFeed {
  constructor(list, { onCount = () => {}, compact = false } = {}) {
    this.list = list;
    this.onCount = onCount;
    this.compact = compact;
    this.paused = false;
    this.buffer = [];
    this.query = '';
    this.source = null;
    this.seen = new Set();
    this.received = 0;
  }

  /** (Re)connects with a listening query; fills the list with recent matches first. */
  async connect(query = '') {
    this.close();
    this.query = query;
    this.buffer = [];
    this.seen.clear();
    this.list.replaceChildren();
    try {
      const recent = await api(endpoints.posts, { query: { q: query || undefined, limit: this.compact ? 15 : 40 } });
      const items = recent.items || [];
      for (const post of items.slice().reverse()) this.show(post, false);
      if (!items.length) this.list.append(h('li', { class: 'empty', dataset: { placeholder: '1' } }, query ? 'No recent posts match this query; new matches appear here as they arrive.' : 'Waiting for posts…'));
    } catch (error) {
      this.list.append(h('li', { class: 'error-text' }, `Could not load recent posts: ${error.message}`));
    }
    const source = new EventSource(apiUrl(endpoints.live, { q: query || undefined }), { withCredentials: true });
    this.source = source;
    setConn('connecting');
    source.addEventListener('open', () => setConn('live'));
    source.addEventListener('error', () => setConn(source.readyState === EventSource.CLOSED ? 'offline' : 'reconnecting'));
    source.addEventListener('post', (event) => {
      let post;
      try { post = JSON.parse(event.data); } catch { return; }
      this.received += 1;
      if (this.paused) this.buffer.push(post);
      else this.show(post, true);
      this.onCount(this);
    });
  }

  show(post, fresh) {
    if (post.id !== undefined && this.seen.has(post.id)) return;
    this.seen.add(post.id);
    this.list.querySelector('[data-placeholder]')?.remove();
    this.list.prepend(postCard(post, { fresh }));
    while (this.list.children.length > MAX_SHOWN) this.list.lastElementChild.remove();
  }

  pause() { this.paused = true; this.onCount(this); }

  /** Shows everything that arrived while paused, in arrival order, then keeps streaming. */
  resume() {
    this.paused = false;
    const pending = this.buffer;
    this.buffer = [];
    for (const post of pending) this.show(post, true);
    this.onCount(this);
  }

  toggle() { if (this.paused) this.resume(); else this.pause(); }

  close() {
    if (this.source) { this.source.close(); this.source = null; }
    setConn('idle');
  }
}

function setConn(state) {
  const el = document.getElementById('conn-state');
  if (!el) return;
  el.hidden = state === 'idle';
  el.textContent = state === 'live' ? 'live' : state;
  el.className = `conn ${state === 'live' ? 'on' : 'off'}`;
}

/** Validates a listening query; resolves to null when fine, else {message, position}. */
export async function checkQuery(query) {
  if (!query.trim()) return null;
  try {
    const result = await api(endpoints.preview, { method: 'POST', body: { query, limit: 0 } });
    return result.ok === false ? (result.error || { message: 'invalid query' }) : null;
  } catch (error) {
    if (error.status !== 404 && error.status !== 405) return { message: error.message, position: error.body?.error?.position };
  }
  // Without the preview endpoint, the search endpoint checks the query just as well.
  try {
    await api(endpoints.search, { query: { q: query, limit: 1 } });
    return null;
  } catch (error) {
    return { message: error.message, position: error.body?.error?.position };
  }
}

/** A caret line pointing at the error position under a query. */
export function caretFor(query, error) {
  if (!error) return null;
  const position = typeof error.position === 'number' ? error.position : null;
  return h('div', { role: 'alert' },
    position !== null ? h('pre', { class: 'caret', 'aria-hidden': 'true' }, `${query}\n${' '.repeat(Math.min(position, query.length))}^`) : null,
    h('p', { class: 'error-text' }, error.message || String(error)));
}

/** The live stream screen. */
export async function renderLive(main, { params }) {
  const list = h('ul', { class: 'posts scroll', id: 'live-list', 'aria-live': 'off', 'aria-label': 'Live posts, newest first' });
  const status = h('span', { class: 'muted small', role: 'status', id: 'live-status' });
  const pauseButton = h('button', { class: 'btn', type: 'button', id: 'live-pause', 'aria-pressed': 'false' }, 'Pause');
  const bufferNote = h('button', { class: 'buffer-note btn', type: 'button', hidden: true, id: 'live-buffer' });
  const queryInput = h('input', { class: 'query', id: 'live-query', type: 'search', 'data-search': '', placeholder: 'e.g. (late OR delayed) AND channel:x AND NOT spam', value: params.get('q') || '', 'aria-describedby': 'live-query-help' });
  const queryError = h('div', { id: 'live-query-error' });
  const feed = new LiveFeed(list, { onCount: (f) => {
    status.textContent = `${fmtInt(f.received)} received since connecting${f.paused ? ' · paused' : ''}`;
    pauseButton.textContent = f.paused ? 'Resume' : 'Pause';
    pauseButton.setAttribute('aria-pressed', String(f.paused));
    bufferNote.hidden = !f.paused || f.buffer.length === 0;
    bufferNote.textContent = `${fmtInt(f.buffer.length)} new while paused — show them`;
  } });
  pauseButton.addEventListener('click', () => feed.toggle());
  bufferNote.addEventListener('click', () => feed.resume());
  const form = h('form', { class: 'live-toolbar', role: 'search', onsubmit: async (event) => {
    event.preventDefault();
    const query = queryInput.value.trim();
    const error = await checkQuery(query);
    mount(queryError, caretFor(query, error));
    queryInput.classList.toggle('invalid', Boolean(error));
    if (error) return;
    history.replaceState(null, '', `#/live${query ? `?q=${encodeURIComponent(query)}` : ''}`);
    feed.connect(query);
  } },
  h('div', {}, h('label', { for: 'live-query' }, 'Listening query filter'), queryInput,
    h('div', { id: 'live-query-help', class: 'muted small' }, 'AND / OR / NOT, "phrases", NEAR/3, wild*, author: lang: channel: sentiment: followers:>10000 — press Enter to apply.')),
  h('div', { class: 'row' }, h('button', { class: 'btn primary', type: 'submit' }, 'Apply'), pauseButton));
  mount(main, h('section', { class: 'panel', 'aria-labelledby': 'live-title' },
    h('header', {}, h('h1', { id: 'live-title' }, 'Live stream'), status),
    form, queryError, bufferNote, list));
  feed.connect(params.get('q') || '');
  const nav = listNav(list, '.post');
  return {
    cleanup: () => feed.close(),
    keys: (event) => {
      if (event.key === 'p') { feed.toggle(); return true; }
      if (event.key === 'j') { nav.move(1)?.focus(); return true; }
      if (event.key === 'k') { nav.move(-1)?.focus(); return true; }
      if (event.key === 'Enter') {
        const current = nav.current();
        if (current) { const id = Number(current.dataset.postId); api(endpoints.post(id)).then(openPost); return true; }
      }
      return false;
    },
  };
}
