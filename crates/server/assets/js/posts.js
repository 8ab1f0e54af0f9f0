// How a post looks everywhere (live stream, drill-downs, threads), and opening a post's case.

import { endpoints, optional } from './api.js';
import { h, badge, sentimentBadge, taskBadge, timeAgo, fmtCompact, toast } from './ui.js';

/** The author line: display name, @handle, reach, verified tick. */
export function authorLine(author = {}) {
  return [
    h('span', { class: 'author' }, author.display_name || author.handle || 'unknown'),
    author.display_name ? h('span', {}, `@${author.handle}`) : null,
    author.verified ? badge('✓ verified', 'info', 'verified account') : null,
    author.followers !== undefined && author.followers !== null ? h('span', { title: `${author.followers} followers` }, `${fmtCompact(author.followers)} followers`) : null,
  ];
}

/** Badges for a post's analysis and routing. */
export function postBadges(post) {
  const analysis = post.analysis;
  const route = post.route;
  return h('span', { class: 'badges' },
    sentimentBadge(analysis),
    taskBadge(analysis, 'intent'),
    taskBadge(analysis, 'urgency'),
    taskBadge(analysis, 'reason'),
    analysis?.toxicity && !/^(not_|non_|clean|none|ok)/.test(analysis.toxicity.label) ? taskBadge(analysis, 'toxicity') : null,
    route && route.queue ? badge(`→ ${route.queue}`, '', `routed by ${(route.matched_rules || []).join(', ') || 'default'}`) : null,
    route && (route.priority === 'high' || route.priority === 'urgent') ? badge(route.priority, route.priority) : null,
    (route?.alerts || []).length ? badge(`alert: ${route.alerts.join(', ')}`, 'negative') : null,
  );
}

/** A post as a list item. `actions` adds buttons; the item is focusable for keyboard navigation. */
export function postCard(post, { fresh = false, actions = true, extra = null } = {}) {
  const privateVisibility = post.visibility === 'private';
  const item = h('li', { class: `post${fresh ? ' fresh' : ''}${privateVisibility ? ' private' : ''}`, tabindex: '-1', dataset: { postId: post.id }, 'aria-selected': 'false' },
    h('div', { class: 'meta' },
      badge(post.channel, 'channel', `channel: ${post.channel}`),
      privateVisibility ? badge('private', 'private') : null,
      ...authorLine(post.author),
      h('span', {}, '·'),
      post.permalink ? h('a', { href: post.permalink, target: '_blank', rel: 'noopener noreferrer' }, timeAgo(post.created_at)) : timeAgo(post.created_at),
      post.engagement?.views ? h('span', { title: 'views' }, `${fmtCompact(post.engagement.views)} views`) : null,
    ),
    h('div', { class: 'text', lang: post.analysis?.language && post.analysis.language !== 'und' ? post.analysis.language : undefined }, post.text),
    h('div', { class: 'row spread' }, postBadges(post),
      actions ? h('span', { class: 'actions' },
        h('button', { class: 'btn small', type: 'button', onclick: () => openPost(post), 'aria-label': `Open the case for the post by ${post.author?.handle}` }, 'Open case'),
      ) : null),
    extra,
  );
  return item;
}

/** Opens the case a post belongs to; says so when routing put it on no case. */
export async function openPost(post) {
  if (post.case_id) { location.hash = `#/cases/${post.case_id}`; return; }
  try {
    const found = await optional(endpoints.postCase(post.id), {}, null);
    if (found?.case_id) { location.hash = `#/cases/${found.case_id}`; return; }
    toast(post.route?.queue === 'unrouted' ? 'No case: no routing rule sent this post to a team. Add a rule on the Listening screen.' : 'This post is not on a case yet; cases open as routing sends posts to a team queue.');
  } catch (error) {
    toast(`Could not open the case: ${error.message}`, 'error');
  }
}
