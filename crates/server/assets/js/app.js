// Entry point of the command center: session, hash router, top bar and global keyboard shortcuts.

import { api, endpoints, setUnauthenticatedHandler, ApiError, optional } from './api.js';
import { h, mount, toast } from './ui.js';
import { renderOverview } from './overview.js';
import { renderLive } from './live.js';
import { renderQueues } from './queues.js';
import { renderCase } from './case.js';
import { renderApprovals } from './approvals.js';
import { renderListening } from './listening.js';
import { renderAnalytics } from './analytics.js';

/** Shared, per-session state every screen can read. */
export const session = { me: null };

const main = document.getElementById('main');
const topbar = document.getElementById('topbar');
let cleanup = null;
let screenKeys = null;

const routes = [
  [/^\/?$/, () => renderOverview],
  [/^\/overview$/, () => renderOverview],
  [/^\/live$/, () => renderLive],
  [/^\/queues(?:\/([^/]+))?$/, () => renderQueues],
  [/^\/cases\/(\d+)$/, () => renderCase],
  [/^\/approvals$/, () => renderApprovals],
  [/^\/listening$/, () => renderListening],
  [/^\/analytics(?:\/([^/]+))?$/, () => renderAnalytics],
];

function currentPath() {
  const hash = location.hash.replace(/^#/, '');
  const [path, query = ''] = hash.split('?');
  return { path: path || '/overview', params: new URLSearchParams(query) };
}

/** Bumped by every navigation: a screen that finishes loading after a newer navigation started
 * is discarded instead of replacing the screen the user moved on to. */
let navigation = 0;

/** Runs a screen's cleanup (timers, streams), if it has one; a failing cleanup is logged. */
function stopScreen(done) {
  if (done) { try { done(); } catch (e) { console.error(e); } }
}

async function route() {
  if (!session.me) return;
  const turn = ++navigation;
  const { path, params } = currentPath();
  stopScreen(cleanup);
  cleanup = null;
  screenKeys = null;
  const section = path.split('/')[1] || 'overview';
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === section || (section === 'cases' && link.dataset.nav === 'queues')) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  for (const [pattern, screen] of routes) {
    const match = path.match(pattern);
    if (!match) continue;
    // Each navigation renders into a view of its own (`display: contents`, so layout is as if
    // the screen were main's child). A newer navigation replaces the view, so whatever a slow,
    // stale screen mounts later lands in a detached element, never over the current screen.
    const view = h('div', { class: 'view' }, h('p', { class: 'loading' }, 'Loading…'));
    mount(main, view);
    let result;
    try {
      result = await screen()(view, { match, params, session });
    } catch (error) {
      if (turn === navigation) {
        showError(error);
        main.focus({ preventScroll: true });
      }
      return;
    }
    const done = typeof result === 'function' ? result : result?.cleanup || null;
    if (turn !== navigation) {
      // The user moved on while this screen loaded: stop its timers and streams right away.
      stopScreen(done);
      return;
    }
    cleanup = done;
    screenKeys = typeof result === 'function' ? null : result?.keys || null;
    main.focus({ preventScroll: true });
    return;
  }
  mount(main, h('section', { class: 'panel' }, h('h1', {}, 'Not found'), h('p', {}, 'There is no screen at ', h('code', {}, path), '. ', h('a', { href: '#/overview' }, 'Back to the overview'))));
}

/** Shows an error in the main area (used when a screen fails to load). */
export function showError(error) {
  console.error(error);
  const message = error instanceof ApiError ? `${error.message} (${error.code})` : String(error.message || error);
  mount(main, h('section', { class: 'panel', role: 'alert' }, h('h1', {}, 'Something went wrong'), h('p', { class: 'error-text' }, message), h('button', { class: 'btn', onclick: () => route() }, 'Try again')));
}

function showSignIn(message) {
  session.me = null;
  if (cleanup) { try { cleanup(); } catch { /* ignore */ } cleanup = null; }
  topbar.hidden = true;
  const user = h('input', { id: 'signin-username', name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { id: 'signin-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'error-text', role: 'alert', id: 'signin-error' }, message || '');
  const form = h('form', { class: 'panel signin', 'aria-labelledby': 'signin-title', onsubmit: async (event) => {
    event.preventDefault();
    error.textContent = '';
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      await api(endpoints.login, { method: 'POST', body: { username: user.value.trim(), password: password.value } });
      await start();
    } catch (e) {
      error.textContent = e.status === 401 || e.status === 403 ? 'That user name and password do not match. Try again, or ask an admin to reset your password.' : e.message;
      password.select();
    } finally {
      button.disabled = false;
    }
  } },
  h('div', { class: 'brand' }, 'Switchyard'),
  h('h1', { id: 'signin-title' }, 'Sign in'),
  h('div', { class: 'field' }, h('label', { for: 'signin-username' }, 'User name or email'), user),
  h('div', { class: 'field' }, h('label', { for: 'signin-password' }, 'Password'), password),
  error,
  h('button', { class: 'btn primary', type: 'submit', id: 'signin-submit' }, 'Sign in'),
  h('p', { class: 'muted small' }, 'The first admin\'s password is printed once when the server starts for the first time.'));
  mount(main, form);
  user.focus();
}

async function start() {
  try {
    const me = await api(endpoints.me);
    session.me = me.user || me;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return showSignIn();
    return mount(main, h('section', { class: 'panel', role: 'alert' }, h('h1', {}, 'Cannot reach the server'), h('p', {}, error.message), h('button', { class: 'btn', onclick: start }, 'Retry')));
  }
  topbar.hidden = false;
  const me = session.me;
  document.getElementById('user-name').textContent = `${me.display_name || me.name || me.username || 'signed in'} · ${me.role || ''}`;
  refreshApprovalCount();
  if (!location.hash || location.hash === '#/' || location.hash === '#/signin') location.hash = '#/overview';
  else route();
}

/** Updates the pending-approvals counter in the top bar. */
export async function refreshApprovalCount() {
  const badge = document.getElementById('approvals-count');
  try {
    const data = await optional(endpoints.approvals, { query: { status: 'pending' } }, null);
    const items = data?.items || data?.approvals || (Array.isArray(data) ? data : []);
    badge.textContent = String(items.length);
    badge.hidden = items.length === 0;
  } catch { badge.hidden = true; }
}

setUnauthenticatedHandler(() => { if (session.me) showSignIn('Your session has ended; sign in again.'); });

document.getElementById('signout-button').addEventListener('click', async () => {
  try { await api(endpoints.logout, { method: 'POST' }); } catch { /* signed out anyway */ }
  location.hash = '#/overview';
  showSignIn('Signed out.');
});
const help = document.getElementById('help-dialog');
document.getElementById('help-button').addEventListener('click', () => help.showModal());

// Global keys: g-prefixed navigation, "/" to focus the screen's search, "?" for help; the
// current screen gets the rest (j/k/x/t/p/r…).
let pendingG = 0;
const goKeys = { o: 'overview', l: 'live', q: 'queues', a: 'approvals', s: 'listening', n: 'analytics' };
document.addEventListener('keydown', (event) => {
  const target = event.target;
  const typing = target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
  if (event.key === 'Escape' && typing) { target.blur(); return; }
  if (typing || event.metaKey || event.ctrlKey || event.altKey || !session.me) return;
  if (help.open) return;
  if (pendingG && Date.now() - pendingG < 1200 && goKeys[event.key]) {
    pendingG = 0;
    location.hash = `#/${goKeys[event.key]}`;
    event.preventDefault();
    return;
  }
  pendingG = 0;
  if (event.key === 'g') { pendingG = Date.now(); return; }
  if (event.key === '?') { help.showModal(); event.preventDefault(); return; }
  if (event.key === '/') {
    const search = main.querySelector('[data-search]');
    if (search) { search.focus(); search.select?.(); event.preventDefault(); }
    return;
  }
  if (screenKeys && screenKeys(event) === true) event.preventDefault();
});

window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', (event) => {
  const error = event.reason;
  if (error instanceof ApiError && error.status === 401) return;
  toast(error?.message || String(error), 'error');
});
start();
