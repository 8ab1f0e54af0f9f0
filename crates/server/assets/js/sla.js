// SLA clocks on cases: reading the due time from a case, and a ticking countdown element.

import { h, fmtDuration, toDate } from './ui.js';

/** Seconds before breach that count as "about to breach". */
export const AT_RISK_SECONDS = 15 * 60;

/** The next SLA deadline of a case (first response, next response or resolution), as a Date. */
export function slaDue(item) {
  const sla = item.sla || {};
  const running = Array.isArray(sla.running) ? sla.running.map((clock) => clock.due_at) : [];
  const candidates = [...running,
    sla.next_due_at, sla.due_at, sla.first_response_due_at && !sla.first_response_at ? sla.first_response_due_at : null,
    sla.next_response_due_at, sla.resolution_due_at,
    item.sla_due_at, item.due_at, item.first_response_due_at, item.next_response_due_at, item.resolution_due_at,
  ].map(toDate).filter(Boolean);
  if (!candidates.length) return null;
  return candidates.reduce((a, b) => (a < b ? a : b));
}

/** Whether the SLA clock is paused (e.g. waiting on the customer). */
export function slaPaused(item) {
  return Boolean(item.sla?.paused || item.sla_paused || item.status === 'pending_customer');
}

/** "ok" | "at-risk" | "breached" | "none". */
export function slaState(item, now = Date.now()) {
  if (item.sla?.breached || item.breached || (item.sla?.breached_now || []).length) return 'breached';
  const due = slaDue(item);
  if (!due) return 'none';
  const left = (due.getTime() - now) / 1000;
  if (left < 0) return 'breached';
  if (left < AT_RISK_SECONDS) return 'at-risk';
  return 'ok';
}

/** A countdown that the page's ticker keeps current (data-due holds the deadline). */
export function slaTimer(item) {
  const due = slaDue(item);
  if (!due) return h('span', { class: 'muted' }, 'no SLA');
  const el = h('span', { class: 'sla', dataset: { due: due.toISOString(), paused: slaPaused(item) ? '1' : '' } });
  updateTimer(el);
  return el;
}

/** Refreshes one countdown element. */
export function updateTimer(el, now = Date.now()) {
  const due = new Date(el.dataset.due);
  const left = (due.getTime() - now) / 1000;
  const state = left < 0 ? 'breached' : left < AT_RISK_SECONDS ? 'at-risk' : 'ok';
  el.className = `sla ${state}`;
  el.textContent = el.dataset.paused ? `paused (${fmtDuration(left)} left)` : left < 0 ? `breached ${fmtDuration(-left)} ago` : `${fmtDuration(left)} left`;
  el.title = `SLA due ${due.toLocaleString()}`;
}

/** Starts a one-second ticker over every countdown under `root`; returns a stop function. */
export function startTicker(root) {
  const timer = setInterval(() => {
    const now = Date.now();
    for (const el of root.querySelectorAll('.sla[data-due]')) updateTimer(el, now);
  }, 1000);
  return () => clearInterval(timer);
}
