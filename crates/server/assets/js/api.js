// The JSON API client: one fetch wrapper (session cookie, JSON errors, 401 → sign-in) and the
// endpoint paths the screens use, gathered here so a renamed endpoint is a one-line change.

export const API = '/api/v1';

/** An API failure with the server's stable error code and message. */
export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

let onUnauthenticated = () => {};
/** Registers what to do when the session has expired (show the sign-in screen). */
export function setUnauthenticatedHandler(fn) { onUnauthenticated = fn; }

/** Calls the API. `body` objects are sent as JSON. Resolves to the parsed JSON (or text). */
export async function api(path, { method = 'GET', body, query, signal, raw = false } = {}) {
  let url = path.startsWith('/') ? path : `${API}/${path}`;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') params.set(key, value);
    }
    const text = params.toString();
    if (text) url += (url.includes('?') ? '&' : '?') + text;
  }
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' }, signal };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  if (raw) return response;
  const type = response.headers.get('content-type') || '';
  const data = type.includes('json') ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) {
    const code = data?.error?.code || `http_${response.status}`;
    const message = data?.error?.message || (typeof data === 'string' && data) || response.statusText;
    if (response.status === 401 && !path.includes('login')) onUnauthenticated();
    throw new ApiError(response.status, code, message, data);
  }
  return data;
}

/** Like `api`, but resolves to `fallback` when the endpoint does not exist (404/405) yet. */
export async function optional(path, options = {}, fallback = null) {
  try {
    return await api(path, options);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405 || error.status === 501)) return fallback;
    throw error;
  }
}

/** A URL for the API (for links such as CSV downloads and EventSource). */
export function apiUrl(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, value);
  }
  const text = params.toString();
  return `${API}/${path}${text ? `?${text}` : ''}`;
}

/** Every endpoint the UI uses. */
export const endpoints = {
  login: 'auth/login',
  logout: 'auth/logout',
  me: 'me',
  posts: 'posts',
  post: (id) => `posts/${id}`,
  corrections: (id) => `posts/${id}/corrections`,
  search: 'search',
  queues: 'queues',
  queueSummary: 'analytics/queues',
  postCase: (id) => `posts/${id}/case`,
  caseSla: (id) => `cases/${id}/sla`,
  stats: 'stats',
  live: 'live',
  preview: 'queries/preview',
  savedQueries: 'queries',
  rules: 'rules',
  rulesCheck: 'rules/check',
  rulesBacktest: 'rules/backtest',
  connectors: 'connectors',
  volume: 'analytics/volume',
  top: 'analytics/top',
  shareOfVoice: 'analytics/share-of-voice',
  authors: 'analytics/authors',
  participation: 'analytics/participation',
  topics: 'analytics/topics',
  exportCsv: 'analytics/export.csv',
  sla: 'analytics/sla',
  surveysVsSocial: 'analytics/surveys',
  alerts: 'alerts',
  cases: 'cases',
  case: (id) => `cases/${id}`,
  caseTake: (id) => `cases/${id}/take`,
  caseAssign: (id) => `cases/${id}/assign`,
  caseStatus: (id) => `cases/${id}/status`,
  caseNotes: (id) => `cases/${id}/notes`,
  caseReplies: (id) => `cases/${id}/replies`,
  caseHandoff: (id) => `cases/${id}/handoff`,
  caseTimeline: (id) => `cases/${id}/timeline`,
  approvals: 'approvals',
  approve: (id) => `replies/${id}/approve`,
  sendBack: (id) => `replies/${id}/reject`,
  templates: 'templates',
  users: 'users',
  teams: 'teams',
  customer: (id) => `customers/${id}`,
  voice: 'voice',
  surveys: 'surveys',
};
