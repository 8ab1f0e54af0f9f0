// Listening: saved queries with a live preview of matching posts and a back-test count over
// history; routing rules with their test results and a back-test.

import { api, endpoints, optional } from './api.js';
import { h, mount, fmtInt, debounce, toast, badge, field } from './ui.js';
import { postCard } from './posts.js';
import { caretFor } from './live.js';

const STORAGE_KEY = 'switchyard.savedQueries';

/** Queries saved in this browser: [{name, query}]. */
export function savedQueries() {
  try { return JSON.parse(localStorage.getItem(STORAGE_KEY) || '[]'); } catch { return []; }
}

function storeQueries(list) { localStorage.setItem(STORAGE_KEY, JSON.stringify(list)); }

/** The preview endpoint, or the same figures from search and the posts list where it is missing. */
async function previewQuery(query) {
  try {
    return await api(endpoints.preview, { method: 'POST', body: { query, limit: 20 } });
  } catch (error) {
    if (error.status !== 404 && error.status !== 405) throw error;
  }
  const [found, recent] = await Promise.all([
    api(endpoints.search, { query: { q: query, limit: 1 } }),
    api(endpoints.posts, { query: { q: query, limit: 20 } }),
  ]);
  return { ok: true, error: null, matches: recent.items || [], backtest_count: found.total };
}

export async function renderListening(main) {
  const server = await optional(endpoints.savedQueries, {}, null).catch(() => null);
  const serverQueries = (server?.items || server?.queries || (Array.isArray(server) ? server : [])).map((q) => ({ name: q.name, query: q.query || q.text, server: true }));
  const list = h('ul', { class: 'queue-list', id: 'saved-queries' });
  const nameInput = h('input', { id: 'query-name', placeholder: 'e.g. Competitor: Globex' });
  const queryInput = h('textarea', { id: 'query-text', class: 'query', rows: 3, 'data-search': '', placeholder: '(late OR delayed OR "no show") AND NOT sentiment:positive AND followers:>1000', style: { minHeight: '4.5rem' } });
  const errorBox = h('div', { id: 'query-error' });
  const summary = h('p', { class: 'small', role: 'status', id: 'query-summary' });
  const preview = h('ul', { class: 'posts scroll', id: 'query-preview', 'aria-label': 'Recent matching posts' });

  function drawList() {
    const local = savedQueries();
    const all = [...serverQueries, ...local];
    mount(list, all.length ? all.map((q) => h('li', {},
      h('a', { href: '#/listening', onclick: (event) => { event.preventDefault(); nameInput.value = q.name; queryInput.value = q.query; run(); queryInput.focus(); } }, q.name),
      h('code', { class: 'small clip', title: q.query }, q.query),
      q.server ? badge('config', '', 'defined in the server configuration') : h('button', { class: 'btn small ghost', type: 'button', 'aria-label': `Delete ${q.name}`, onclick: () => { storeQueries(savedQueries().filter((x) => x.name !== q.name)); drawList(); } }, '✕'))) : h('li', { class: 'empty' }, 'No saved queries yet.'));
  }

  let generation = 0;
  async function run() {
    const query = queryInput.value.trim();
    const mine = ++generation;
    if (!query) { mount(errorBox); summary.textContent = 'Type a query to see what it matches.'; preview.replaceChildren(); queryInput.classList.remove('invalid'); return; }
    summary.textContent = 'Checking…';
    try {
      const result = await previewQuery(query);
      if (mine !== generation) return;
      const ok = result.ok !== false;
      queryInput.classList.toggle('invalid', !ok);
      mount(errorBox, ok ? null : caretFor(query, result.error));
      if (!ok) { summary.textContent = ''; preview.replaceChildren(); return; }
      const matches = result.matches || [];
      summary.replaceChildren(h('strong', { id: 'backtest-count' }, fmtInt(result.backtest_count ?? matches.length)), ` posts in history match${result.backtest_scanned ? ` (of ${fmtInt(result.backtest_scanned)} checked)` : ''}; the newest are below.`);
      mount(preview, matches.length ? matches.map((p) => postCard(p)) : h('li', { class: 'empty' }, 'No recent posts match.'));
    } catch (error) {
      if (mine !== generation) return;
      queryInput.classList.add('invalid');
      mount(errorBox, caretFor(query, { message: error.message, position: error.body?.error?.position }));
      summary.textContent = '';
    }
  }
  queryInput.addEventListener('input', debounce(run, 400));

  const saveButton = h('button', { class: 'btn primary', type: 'submit' }, 'Save query');
  const form = h('form', { onsubmit: (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    const query = queryInput.value.trim();
    if (!name || !query) { (name ? queryInput : nameInput).focus(); toast('Give the query a name and some text.'); return; }
    const rest = savedQueries().filter((q) => q.name !== name);
    storeQueries([...rest, { name, query }]);
    drawList();
    toast(`Saved "${name}" in this browser. Add it to [queries] in the configuration to route or alert on it.`);
  } }, field('Name', nameInput), field('Listening query', queryInput, 'Preview updates as you type. AND, OR, NOT, "phrase", NEAR/n, wild*, author:, lang:, channel:, sentiment:, intent:, followers:>N.'),
  errorBox, h('div', { class: 'row' }, saveButton, h('a', { class: 'btn', href: '#/live', onclick: (event) => { event.preventDefault(); location.hash = `#/live?q=${encodeURIComponent(queryInput.value.trim())}`; } }, 'Watch live')));

  const rulesBox = h('div', { id: 'rules' }, h('p', { class: 'loading' }, 'Loading rules…'));
  mount(main, h('h1', {}, 'Listening'),
    h('div', { class: 'grid listening' },
      h('section', { class: 'panel', 'aria-labelledby': 'saved-title' }, h('h2', { id: 'saved-title' }, 'Saved queries'), list),
      h('section', { class: 'panel', 'aria-labelledby': 'editor-title' }, h('h2', { id: 'editor-title' }, 'Query and live preview'), form, summary, preview)),
    h('section', { class: 'panel', 'aria-labelledby': 'rules-title', style: { marginTop: '1rem' } }, h('header', {}, h('h2', { id: 'rules-title' }, 'Routing rules'), h('span', { class: 'muted small' }, 'Rules run in order; each carries its own tests.')), rulesBox));
  drawList();
  run();
  loadRules(rulesBox);
}

async function loadRules(box) {
  const [rules, check] = await Promise.all([
    optional(endpoints.rules, {}, null).catch((e) => ({ error: e })),
    optional(endpoints.rulesCheck, {}, null).catch((e) => ({ error: e })),
  ]);
  if (!rules || rules.error) { mount(box, h('p', { class: 'empty' }, rules?.error ? `Could not load rules: ${rules.error.message}` : 'Rules are not available on this server yet.')); return; }
  const items = rules.items || rules.rules || (Array.isArray(rules) ? rules : []);
  const results = check?.results || check?.rules || check?.items || [];
  const resultFor = (name) => results.filter((r) => (r.rule || r.name) === name);
  const since = h('select', { id: 'backtest-since', 'aria-label': 'Back-test period' }, [['1', 'last day'], ['7', 'last 7 days'], ['30', 'last 30 days']].map(([v, l]) => h('option', { value: v, selected: v === '7' }, l)));
  const backtestOut = h('div', { id: 'backtest-result', 'aria-live': 'polite' });
  const backtest = h('button', { class: 'btn', type: 'button', onclick: async () => {
    mount(backtestOut, h('p', { class: 'loading' }, 'Running the rules over history…'));
    try {
      const data = await api(endpoints.rulesBacktest, { query: { since: new Date(Date.now() - Number(since.value) * 86400e3).toISOString() } });
      const perRule = data.rules || data.items || data.by_rule || [];
      mount(backtestOut, h('p', { class: 'small' }, `${fmtInt(data.posts ?? data.scanned ?? 0)} posts replayed.`),
        data.unrouted !== undefined ? h('p', { class: 'small' }, `${fmtInt(data.unrouted)} would reach no team queue.`) : null,
        Array.isArray(perRule) ? h('ul', {}, perRule.map((r) => h('li', {}, `${r.rule || r.name}: matches ${fmtInt(r.matched ?? r.count ?? 0)} posts`, r.decided_queue !== undefined ? `, decides the queue of ${fmtInt(r.decided_queue)}` : ''))) :
          h('pre', { class: 'small' }, JSON.stringify(perRule, null, 2)),
        data.by_queue ? h('p', { class: 'small muted' }, Object.entries(data.by_queue).map(([q, n]) => `${q}: ${fmtInt(n)}`).join(' · ')) : null);
    } catch (error) { mount(backtestOut, h('p', { class: 'error-text' }, error.message)); }
  } }, 'Back-test rules');
  const passed = results.filter((r) => r.passed ?? r.ok).length;
  mount(box,
    results.length ? h('p', {}, badge(`${passed} of ${results.length} rule tests pass`, passed === results.length ? 'positive' : 'negative')) : null,
    h('div', { class: 'table-wrap' }, h('table', { id: 'rules-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Rule'), h('th', {}, 'When'), h('th', {}, 'Then'), h('th', {}, 'Tests'))),
      h('tbody', {}, items.map((rule) => {
        const tests = resultFor(rule.name);
        const failures = tests.filter((t) => !(t.passed ?? t.ok));
        const actions = rule.actions || rule.then || {};
        return h('tr', {},
          h('td', {}, h('strong', {}, rule.name), rule.enabled === false ? badge('off') : null, rule.description ? h('div', { class: 'small muted' }, rule.description) : null),
          h('td', {}, h('code', { class: 'small' }, rule.when || rule.query || rule.condition || '—')),
          h('td', { class: 'small' }, typeof actions === 'string' ? actions : Object.entries(actions).filter(([, v]) => v !== null && v !== undefined && v !== false && !(Array.isArray(v) && !v.length)).map(([k, v]) => (v === true ? k : `${k}: ${Array.isArray(v) ? v.join(', ') : v}`)).join(' · ')),
          h('td', {}, tests.length ? badge(failures.length ? `${failures.length} of ${tests.length} failing` : `${tests.length} pass`, failures.length ? 'negative' : 'positive', tests.map((t) => t.text).join('\n')) : h('span', { class: 'muted small' }, rule.tests ? `${rule.tests} tests` : 'no tests'),
            failures.length ? h('ul', { class: 'small' }, failures.map((f) => h('li', { class: 'error-text' }, `“${f.text || ''}”${f.line ? ` (line ${f.line})` : ''}: ${(f.failures || [f.message]).filter(Boolean).join('; ')}`))) : null));
      })))),
    h('div', { class: 'row', style: { marginTop: '.75rem' } }, since, backtest), backtestOut);
}
