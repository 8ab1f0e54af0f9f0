// Analytics: volume and sentiment over time, top reasons and emerging topics, SLA by team and
// agent, share of voice, top authors by reach, participation inequality, surveys against social
// sentiment and agents' voice. Every chart drills down to its posts and exports CSV.

import { api, apiUrl, endpoints, optional } from './api.js';
import { h, mount, fmtInt, fmtPct, fmtCompact, fmtDuration, toCsv, download, badge, toast } from './ui.js';
import { sentimentBars, hbars, lorenz, dataTable } from './charts.js';
import { postCard } from './posts.js';
import { savedQueries } from './listening.js';

const RANGES = {
  '24h': { label: 'Last 24 hours', hours: 24, bucket: 'hour' },
  '7d': { label: 'Last 7 days', hours: 24 * 7, bucket: 'hour' },
  '30d': { label: 'Last 30 days', hours: 24 * 30, bucket: 'day' },
  '90d': { label: 'Last 90 days', hours: 24 * 90, bucket: 'day' },
  '365d': { label: 'Last year', hours: 24 * 365, bucket: 'day' },
};

/** A chart panel: title, tools (CSV of the chart's data), body, and its own drill-down area. */
function chartPanel(id, title, description) {
  const body = h('div', { class: 'chart-body' }, h('p', { class: 'loading' }, 'Loading…'));
  const tools = h('div', { class: 'chart-tools' });
  const drill = h('div', { class: 'drill', id: `${id}-drill`, 'aria-live': 'polite' });
  const panel = h('section', { class: 'panel', id, 'aria-labelledby': `${id}-title` },
    h('header', {}, h('h2', { id: `${id}-title` }, title), tools),
    description ? h('p', { class: 'muted small' }, description) : null, body, drill);
  return { panel, body, tools, drill };
}

function csvButton(name, rowsFn, columns) {
  return h('button', { class: 'btn small', type: 'button', onclick: () => {
    const rows = rowsFn();
    if (!rows.length) { toast('Nothing to export yet.'); return; }
    download(`switchyard-${name}.csv`, toCsv(rows, columns));
  } }, 'CSV');
}

/** Shows the posts behind a chart element in `target`, with a CSV export of exactly those posts. */
export async function showDrill(target, description, params) {
  const query = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  mount(target, h('p', { class: 'loading' }, `Loading posts: ${description}…`));
  try {
    const data = await api('analytics/posts', { query: { ...query, limit: 25 } });
    const items = data.items || [];
    mount(target,
      h('div', { class: 'row spread' }, h('h3', { class: 'drill-title' }, `Posts: ${description}`),
        h('span', { class: 'row' },
          h('a', { class: 'btn small', href: apiUrl(endpoints.exportCsv, query), download: '' }, 'Export these posts (CSV)'),
          h('button', { class: 'btn small ghost', type: 'button', onclick: () => target.replaceChildren() }, 'Close'))),
      items.length ? h('ul', { class: 'posts scroll drill-posts' }, items.map((p) => postCard(p))) : h('p', { class: 'empty' }, 'No posts match.'),
      data.more ? h('p', { class: 'muted small' }, 'Showing the newest 25; the CSV has up to 10,000.') : null);
    target.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    target.querySelector('.drill-title')?.setAttribute('tabindex', '-1');
    target.querySelector('.drill-title')?.focus({ preventScroll: true });
  } catch (error) {
    mount(target, h('p', { class: 'error-text', role: 'alert' }, `Could not load the posts: ${error.message}`));
  }
}

function failed(body, error) {
  mount(body, h('p', { class: 'error-text', role: 'alert' }, error.status === 404 ? 'This figure is not available on this server yet.' : `Could not load: ${error.message}`));
}

export async function renderAnalytics(main, { params }) {
  const rangeKey = RANGES[params.get('range')] ? params.get('range') : '30d';
  const range = RANGES[rangeKey];
  const until = new Date();
  const since = new Date(until.getTime() - range.hours * 3600 * 1000);
  const window = { since: since.toISOString(), until: until.toISOString() };
  const rangeSelect = h('select', { id: 'analytics-range', onchange: () => { location.hash = `#/analytics?range=${rangeSelect.value}`; } },
    Object.entries(RANGES).map(([key, r]) => h('option', { value: key, selected: key === rangeKey }, r.label)));
  const nav = h('nav', { class: 'row small', 'aria-label': 'Analytics sections' },
    [['an-volume', 'Volume'], ['an-top', 'Top reasons'], ['an-topics', 'Emerging'], ['an-sla', 'SLA'], ['an-sov', 'Share of voice'], ['an-authors', 'Authors'], ['an-participation', 'Participation'], ['an-surveys', 'Surveys'], ['an-voice', 'Agents\' voice']]
      .map(([id, label]) => h('a', { href: `#/analytics?range=${rangeKey}`, onclick: (event) => { event.preventDefault(); document.getElementById(id)?.scrollIntoView({ behavior: 'smooth' }); document.getElementById(`${id}-title`)?.focus(); } }, label)));

  const volume = chartPanel('an-volume', 'Volume and sentiment over time', 'Posts per bucket by sentiment, with the mean VADER compound. Click a bar segment for its posts.');
  const top = chartPanel('an-top', 'Top complaint reasons', 'What complaints are about. Switch the field to see intents, channels or languages.');
  const topics = chartPanel('an-topics', 'Emerging topics', 'Words whose share of posts grew most in the last day against the week before.');
  const slaPanel = chartPanel('an-sla', 'SLA compliance and response times', 'Business-time response times and the share of responses within target, by team and by agent.');
  const sov = chartPanel('an-sov', 'Share of voice', 'Posts matching each listening query (brands, competitors, campaigns) and their sentiment.');
  const authors = chartPanel('an-authors', 'Top authors by reach', 'Who was heard by most people, by followers.');
  const part = chartPanel('an-participation', 'Participation inequality', 'How much of the conversation a few people write, and how many only read.');
  const surveys = chartPanel('an-surveys', 'Surveys against social sentiment', 'CSAT and NPS of customers, grouped by how they sound in public.');
  const voice = chartPanel('an-voice', 'Agents\' voice', 'Complaints, glitches, feature requests and hints logged by agents, by owning team.');

  mount(main,
    h('div', { class: 'row spread' }, h('h1', { id: 'analytics-title' }, 'Analytics'), h('div', { class: 'row' }, h('label', { for: 'analytics-range' }, 'Period'), rangeSelect)),
    nav,
    h('div', { class: 'stack' }, volume.panel, h('div', { class: 'grid two' }, top.panel, topics.panel), slaPanel.panel, sov.panel, h('div', { class: 'grid two' }, authors.panel, part.panel), h('div', { class: 'grid two' }, surveys.panel, voice.panel)));

  // volume
  (async () => {
    try {
      const data = await api(endpoints.volume, { query: { bucket: range.bucket, ...window } });
      const points = data.points || [];
      const hourMs = range.bucket === 'hour' ? 3600e3 : 86400e3;
      mount(volume.body, points.length ? sentimentBars(points, { hourly: range.bucket === 'hour', onPick: (point, series) => {
        const start = new Date(point.start);
        const end = new Date(start.getTime() + hourMs);
        showDrill(volume.drill, `${series}, ${start.toLocaleString()}`, { since: start.toISOString(), until: end.toISOString(), sentiment: series });
      } }) : h('p', { class: 'empty' }, 'No posts in this period.'),
      dataTable('volume by bucket', [['start', 'Start', false, (v) => new Date(v).toLocaleString()], ['total', 'Posts', true], ['positive', 'Positive', true], ['neutral', 'Neutral', true], ['negative', 'Negative', true], ['avg_compound', 'Mean compound', true, (v) => (v === null || v === undefined ? '—' : v.toFixed(3))]], points));
      volume.tools.append(csvButton('volume', () => points, ['start', 'total', 'positive', 'neutral', 'negative', 'avg_compound']),
        h('a', { class: 'btn small', href: apiUrl(endpoints.exportCsv, window), download: '' }, 'All posts (CSV)'));
    } catch (error) { failed(volume.body, error); }
  })();

  // top values
  const fieldSelect = h('select', { id: 'top-field', 'aria-label': 'Field' }, [['reason', 'Complaint reason'], ['intent', 'Intent'], ['channel', 'Channel'], ['language', 'Language'], ['queue', 'Queue'], ['urgency', 'Urgency']].map(([v, l]) => h('option', { value: v }, l)));
  const complaintsOnly = h('input', { type: 'checkbox', id: 'top-complaints', checked: true });
  let topRows = [];
  async function loadTop() {
    const field = fieldSelect.value;
    const extra = complaintsOnly.checked && field !== 'intent' ? { intent: 'complaint' } : {};
    try {
      const data = await api(endpoints.top, { query: { field, limit: 12, ...window, ...extra } });
      topRows = data.items || [];
      mount(top.body, topRows.length ? hbars(topRows.map((r) => ({ label: r.value, value: r.count, note: `${fmtPct(r.share)} of posts, ${fmtPct(r.negative_share)} negative`, raw: r })), {
        label: `Top ${field} values`, onPick: (item) => showDrill(top.drill, `${field} = ${item.label}`, { ...window, ...extra, field, value: item.label }),
      }) : h('p', { class: 'empty' }, 'Nothing in this period.'), h('p', { class: 'small muted' }, `${fmtInt(data.total)} posts in the slice.`));
    } catch (error) { failed(top.body, error); }
  }
  top.tools.append(fieldSelect, h('label', { for: 'top-complaints', class: 'small' }, complaintsOnly, ' complaints only'), csvButton('top', () => topRows, ['value', 'count', 'share', 'negative', 'negative_share', 'avg_compound']));
  fieldSelect.addEventListener('change', loadTop);
  complaintsOnly.addEventListener('change', loadTop);
  loadTop();

  // emerging topics
  (async () => {
    try {
      const data = await api(endpoints.topics, { query: { limit: 12 } });
      const items = data.items || [];
      mount(topics.body, items.length ? hbars(items.map((t) => ({ label: t.term, value: t.posts, note: `${t.growth.toFixed(1)}× its share the week before`, raw: t })), {
        label: 'Emerging topics', onPick: (item) => showDrill(topics.drill, `mentioning "${item.label}"`, { since: data.since, until: data.until, q: item.label.startsWith('#') ? item.label : `"${item.label}"` }),
      }) : h('p', { class: 'empty' }, 'No word stands out against the week before.'),
      h('p', { class: 'small muted' }, `${fmtInt(data.recent_posts)} recent posts against ${fmtInt(data.baseline_posts)} before.`));
      topics.tools.append(csvButton('emerging-topics', () => items, ['term', 'posts', 'share', 'baseline_posts', 'baseline_share', 'growth']));
    } catch (error) { failed(topics.body, error); }
  })();

  // SLA
  (async () => {
    try {
      const data = await api(endpoints.sla, { query: window });
      const fmtSec = (v) => (v === null || v === undefined ? '—' : fmtDuration(v));
      const cols = (key, label) => [[key, label], ['kind', 'Response'], ['responses', 'Responses', true], ['compliance', 'Within SLA', true, (v) => fmtPct(v)], ['breached', 'Breached', true], ['median_seconds', 'Median', true, fmtSec], ['p90_seconds', '90th pct', true, fmtSec]];
      const table = (caption, columns, rows) => h('div', { class: 'table-wrap' }, h('table', {}, h('caption', { class: 'small muted', style: { textAlign: 'left' } }, caption),
        h('thead', {}, h('tr', {}, columns.map(([, label, num]) => h('th', { class: num ? 'num' : '' }, label)))),
        h('tbody', {}, rows.map((row) => h('tr', {}, columns.map(([key, , num, fmt], i) => h('td', { class: num ? 'num' : '' }, i === 0 && key === 'team' ? h('a', { href: `#/queues/${encodeURIComponent(row.team)}` }, row.team) : fmt ? fmt(row[key]) : row[key] ?? '—')))))));
      const overall = data.overall || [];
      mount(slaPanel.body,
        h('div', { class: 'kpis' }, overall.map((o) => h('div', { class: 'kpi' }, h('div', { class: 'value' }, fmtPct(o.compliance)), h('div', { class: 'label' }, `${o.kind.replace('_', ' ')} within SLA · median ${fmtSec(o.median_seconds)}`))),
          (data.backlog || []).map((b) => h('div', { class: 'kpi' }, h('div', { class: 'value' }, fmtInt(b.open)), h('div', { class: 'label' }, `open in ${b.team}`)))),
        (data.by_team || []).length ? hbars((data.by_team || []).filter((r) => r.compliance !== null).map((r) => ({ label: `${r.team} · ${r.kind.replace('_', ' ')}`, value: r.compliance, team: r.team })), { format: (v) => fmtPct(v), max: 1, label: 'SLA compliance by team', onPick: (item) => { location.hash = `#/queues/${encodeURIComponent(item.team)}`; } }) : h('p', { class: 'empty' }, 'No responses measured in this period yet.'),
        h('div', { class: 'grid two' }, table('By team', cols('team', 'Team'), data.by_team || []), table('By agent', cols('agent', 'Agent'), data.by_agent || [])));
      slaPanel.tools.append(csvButton('sla-by-team', () => data.by_team || [], ['team', 'kind', 'responses', 'met', 'breached', 'compliance', 'mean_seconds', 'median_seconds', 'p90_seconds']),
        csvButton('sla-by-agent', () => data.by_agent || [], ['agent', 'kind', 'responses', 'met', 'breached', 'compliance', 'mean_seconds', 'median_seconds', 'p90_seconds']));
      slaPanel.tools.lastChild.textContent = 'CSV by agent';
      slaPanel.tools.firstChild.textContent = 'CSV by team';
    } catch (error) { failed(slaPanel.body, error); }
  })();

  // share of voice
  const sovInput = h('input', { class: 'query', id: 'sov-queries', value: savedQueries().map((q) => q.query).slice(0, 5).join(', ') || '', placeholder: 'e.g. acme, globex, "initech"' });
  const sovBody = h('div', {});
  let sovRows = [];
  async function loadSov() {
    const text = sovInput.value.trim();
    if (!text) { mount(sovBody, h('p', { class: 'empty' }, 'Type listening queries separated by commas (or save queries on the Listening screen).')); return; }
    mount(sovBody, h('p', { class: 'loading' }, 'Matching posts…'));
    try {
      const data = await api(endpoints.shareOfVoice, { query: { queries: text, ...window } });
      sovRows = data.items || [];
      const names = savedQueries();
      const nameOf = (q) => names.find((n) => n.query === q)?.name || q;
      const colors = ['var(--brand)', '#d39b17', '#7a4fb5', '#2a8f8f', '#c0504d', '#5b7bd5'];
      mount(sovBody,
        hbars(sovRows.map((r, i) => ({ label: nameOf(r.query), value: r.share, query: r.query, color: colors[i % colors.length] })), { format: (v) => fmtPct(v), max: 1, label: 'Share of voice', onPick: (item) => showDrill(sov.drill, `matching ${item.label}`, { ...window, q: item.query }) }),
        h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, ['Query', 'Posts', 'Share', 'Positive', 'Negative', 'Net sentiment', 'Reach'].map((c, i) => h('th', { class: i ? 'num' : '' }, c)))),
          h('tbody', {}, sovRows.map((r) => h('tr', {}, h('td', { class: 'mono' }, nameOf(r.query)), h('td', { class: 'num' }, fmtInt(r.posts)), h('td', { class: 'num' }, fmtPct(r.share)), h('td', { class: 'num' }, fmtInt(r.positive)), h('td', { class: 'num' }, fmtInt(r.negative)), h('td', { class: 'num' }, r.net_sentiment === null ? '—' : r.net_sentiment.toFixed(2)), h('td', { class: 'num' }, fmtCompact(r.reach))))))),
        h('p', { class: 'small muted' }, `${fmtInt(data.scanned)} posts scanned${data.truncated ? ' (stopped early; narrow the period)' : ''}.`));
    } catch (error) {
      mount(sovBody, h('p', { class: 'error-text', role: 'alert' }, error.message));
    }
  }
  mount(sov.body, h('form', { class: 'row', onsubmit: (event) => { event.preventDefault(); loadSov(); } }, h('label', { for: 'sov-queries', class: 'sr-only' }, 'Queries to compare'), h('div', { style: { flex: '1' } }, sovInput), h('button', { class: 'btn', type: 'submit' }, 'Compare')), sovBody);
  sov.tools.append(csvButton('share-of-voice', () => sovRows.map(({ series, ...rest }) => rest), ['label', 'query', 'posts', 'share', 'positive', 'neutral', 'negative', 'net_sentiment', 'reach']));
  loadSov();

  // authors
  (async () => {
    try {
      const data = await api(endpoints.authors, { query: { limit: 15, ...window } });
      const items = data.items || [];
      mount(authors.body, items.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'authors-table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Author'), h('th', {}, 'Channel'), h('th', { class: 'num' }, 'Followers'), h('th', { class: 'num' }, 'Posts'), h('th', { class: 'num' }, 'Mean sentiment'), h('th', {}, h('span', { class: 'sr-only' }, 'Posts')))),
        h('tbody', {}, items.map((a) => h('tr', {}, h('td', {}, a.display_name || a.handle, a.verified ? ' ✓' : '', h('div', { class: 'small muted' }, `@${a.handle}`)), h('td', {}, badge(a.channel, 'channel')), h('td', { class: 'num' }, fmtCompact(a.followers)), h('td', { class: 'num' }, fmtInt(a.posts)),
          h('td', { class: 'num' }, a.avg_compound === null ? '—' : a.avg_compound.toFixed(2)),
          h('td', {}, h('button', { class: 'btn small', type: 'button', 'aria-label': `Posts by ${a.handle}`, onclick: () => showDrill(authors.drill, `by @${a.handle}`, { ...window, author: a.handle, channel: a.channel }) }, 'Posts'))))))) : h('p', { class: 'empty' }, 'No authors in this period.'));
      authors.tools.append(csvButton('top-authors', () => items, ['handle', 'display_name', 'channel', 'followers', 'verified', 'posts', 'engagement', 'views', 'avg_compound', 'negative']));
    } catch (error) { failed(authors.body, error); }
  })();

  // participation
  (async () => {
    try {
      const data = await api(endpoints.participation, { query: window });
      const views = data.views || {};
      mount(part.body,
        h('div', { class: 'kpis' },
          h('div', { class: 'kpi' }, h('div', { class: 'value', id: 'top1-share' }, fmtPct(data.top1_share)), h('div', { class: 'label' }, 'of posts by the top 1% of authors')),
          h('div', { class: 'kpi' }, h('div', { class: 'value' }, fmtPct(data.top10_share)), h('div', { class: 'label' }, 'by the top 10%')),
          h('div', { class: 'kpi' }, h('div', { class: 'value' }, (data.gini ?? 0).toFixed(2)), h('div', { class: 'label' }, 'Gini (0 equal, 1 one voice)')),
          h('div', { class: 'kpi' }, h('div', { class: 'value' }, views.read_only_share === null || views.read_only_share === undefined ? '—' : fmtPct(views.read_only_share)), h('div', { class: 'label' }, 'of viewers only read (where views are reported)'))),
        h('div', { class: 'row', style: { alignItems: 'flex-start' } }, lorenz(data.lorenz || []),
          h('div', { style: { flex: '1', minWidth: '220px' } }, h('h3', {}, 'Most active authors'),
            hbars((data.most_active || []).map((a) => ({ label: `@${a.handle}`, value: a.posts, handle: a.handle, channel: a.channel })), { label: 'Most active authors', onPick: (item) => showDrill(part.drill, `by @${item.handle}`, { ...window, author: item.handle, channel: item.channel }) }))),
        h('p', { class: 'small muted' }, `${fmtInt(data.authors)} authors wrote ${fmtInt(data.posts)} posts; ${fmtPct(data.one_post_share)} of them posted once.`),
        (views.by_channel || []).length ? dataTable('views and engagement by channel', [['channel', 'Channel'], ['posts', 'Posts with views', true, fmtInt], ['views', 'Views', true, fmtCompact], ['engagements', 'Interactions', true, fmtCompact], ['read_only_share', 'Only read', true, (v) => fmtPct(v)]], views.by_channel) : h('p', { class: 'small muted' }, 'No channel in this period reports views.'));
      part.tools.append(csvButton('participation-lorenz', () => (data.lorenz || []).map(([a, p]) => ({ authors_share: a, posts_share: p })), ['authors_share', 'posts_share']));
    } catch (error) { failed(part.body, error); }
  })();

  // surveys
  (async () => {
    try {
      const data = await api(endpoints.surveysVsSocial, { query: window });
      const groups = data.by_social_sentiment || [];
      mount(surveys.body,
        h('div', { class: 'kpis' },
          h('div', { class: 'kpi' }, h('div', { class: 'value' }, data.csat?.mean === null || data.csat?.mean === undefined ? '—' : data.csat.mean.toFixed(2)), h('div', { class: 'label' }, `CSAT mean (${fmtInt(data.csat?.responses)} responses)`)),
          h('div', { class: 'kpi' }, h('div', { class: 'value' }, data.nps?.score === null || data.nps?.score === undefined ? '—' : Math.round(data.nps.score)), h('div', { class: 'label' }, `NPS (${fmtInt(data.nps?.responses)} responses)`)),
          h('div', { class: 'kpi' }, h('div', { class: 'value' }, data.correlation === null || data.correlation === undefined ? '—' : data.correlation.toFixed(2)), h('div', { class: 'label' }, `survey ↔ social correlation (${fmtInt(data.matched_customers)} customers)`))),
        groups.some((g) => g.csat.responses) ? [h('h3', {}, 'CSAT satisfied share by public sentiment'), hbars(groups.map((g) => ({ label: `sounds ${g.social}`, value: g.csat.satisfied_share ?? 0, note: `${g.csat.responses} responses` })), { format: (v) => fmtPct(v), max: 1, label: 'CSAT by social sentiment' })] : null,
        groups.some((g) => g.nps.responses) ? [h('h3', {}, 'NPS by public sentiment'), hbars(groups.map((g) => ({ label: `sounds ${g.social}`, value: Math.max(0, (g.nps.score ?? -100) + 100) / 200, note: `NPS ${g.nps.score === null ? '—' : Math.round(g.nps.score)}` })), { format: (v) => `${Math.round(v * 200 - 100)}`, max: 1, label: 'NPS by social sentiment' })] : null,
        (data.disagreements || []).length ? [h('h3', {}, 'Where survey and public voice disagree most'), h('ul', {}, data.disagreements.slice(0, 6).map((d) => h('li', { class: 'small' }, `${d.name || `customer #${d.customer_id}`}: ${d.kind.toUpperCase()} ${d.score}, public sentiment ${d.social_compound.toFixed(2)} over ${d.social_posts} posts `, d.case_id ? h('a', { href: `#/cases/${d.case_id}` }, `case #${d.case_id}`) : null)))] : null,
        !data.csat?.responses && !data.nps?.responses ? h('p', { class: 'empty' }, 'No survey responses in this period. Import them with `switchyard surveys import` or the API.') : null);
      surveys.tools.append(csvButton('surveys-vs-social', () => groups.map((g) => ({ social: g.social, csat_responses: g.csat.responses, csat_mean: g.csat.mean, csat_satisfied_share: g.csat.satisfied_share, nps_responses: g.nps.responses, nps: g.nps.score })), ['social', 'csat_responses', 'csat_mean', 'csat_satisfied_share', 'nps_responses', 'nps']));
    } catch (error) { failed(surveys.body, error); }
  })();

  // agents' voice
  (async () => {
    try {
      const data = await optional('analytics/voice', { query: window }, { items: [] });
      const items = data.items || [];
      mount(voice.body, items.length ? hbars(items.map((v) => ({ label: `${v.team} · ${v.kind.replace('_', ' ')}`, value: v.count })), { label: 'Agents\' voice by team and kind' }) : h('p', { class: 'empty' }, 'Nothing logged in this period. Agents log complaints and hints from any case.'));
      voice.tools.append(csvButton('agents-voice', () => items, ['team', 'kind', 'count']));
    } catch (error) { failed(voice.body, error); }
  })();

  const section = params.get('section');
  if (section) setTimeout(() => document.getElementById(section)?.scrollIntoView(), 50);
}
