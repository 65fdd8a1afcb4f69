// The lender console's risk alerts tab. Owns the feed of adverse records about subjects on
// which this institution holds an account-review consent: it follows the node's event
// stream as this institution's watcher, resumes after the last event it saw (kept in this
// tab's sessionStorage, so a reload or a dropped connection misses nothing), and counts the
// alerts in the tab's badge.

import { explain, fill, follow, h, institutionName, short, status } from './common.js';
import { session } from './lender-session.js';

const LAST_ALERT = 'credence.alerts.last';
let stop = null;

/** Follows this institution's alerts, from just after the last one this tab saw. */
export function startAlerts() {
  stopAlerts();
  let count = 0;
  stop = follow(
    { watcher: session().institution },
    (event) => {
      sessionStorage.setItem(LAST_ALERT, event.id);
      if (event.event.kind !== 'adverse') return;
      count += 1;
      fill('alert-count', String(count));
      const a = event.event;
      document
        .getElementById('alert-list')
        .prepend(
          h(
            'li',
            { class: 'card alert', 'data-subject': a.subject },
            h('strong', {}, 'Adverse record '),
            status(a.status),
            ` from ${institutionName(a.furnisher)} about `,
            h('a', { href: `#applicant/${a.subject}` }, short(a.subject)),
            h('span', { class: 'muted' }, ` · event ${event.id}`),
          ),
        );
    },
    {
      start: sessionStorage.getItem(LAST_ALERT),
      onState: (state, refusal) =>
        fill('alerts-state', state === 'refused' ? explain(refusal) : state),
    },
  );
}

/** Stops following the alerts (on signing out). */
export function stopAlerts() {
  stop?.();
  stop = null;
}
