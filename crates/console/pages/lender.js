// The lender console: an institution's staff, signed in with the node's operator token.
// Reads go through the console's read proxy with that token, and the node answers them as
// the institution (what it is party to, and the files of subjects whose consent it holds);
// what needs the institution's key (pulling a report, which records an inquiry; furnishing;
// offering a loan) goes to the node's operator endpoints, where the key stays.
//
// This entry owns only the wiring: the sign-in (lender-session.js) and the five tabs, each
// its own module — applicant and report (lender-applicant.js), loan book and offers
// (lender-book.js), risk alerts (lender-alerts.js), furnishing (lender-furnish.js) and the
// disputes to answer (lender-disputes.js) — shown by the address's `#tab` or
// `#applicant/{subject}`.

import { header, loadInstitutions } from './common.js';
import { setUpApplicant, showApplicant } from './lender-applicant.js';
import { startAlerts, stopAlerts } from './lender-alerts.js';
import { setUpBook, showBook } from './lender-book.js';
import { setUpDisputes, showDisputes, startDisputes, stopDisputes } from './lender-disputes.js';
import { setUpFurnish } from './lender-furnish.js';
import { session, setUpSession } from './lender-session.js';

header('/lender');

const TABS = ['applicant', 'book', 'alerts', 'furnish', 'disputes'];

/** Shows the tab the address names, once signed in. */
function route() {
  if (!session()) return;
  const [tab, argument] = location.hash.slice(1).split('/');
  const current = TABS.includes(tab) ? tab : 'applicant';
  for (const section of document.querySelectorAll('[data-tab]')) {
    section.classList.toggle('hidden', section.id !== current);
  }
  if (current === 'applicant' && argument) showApplicant(argument);
  if (current === 'book') showBook();
  if (current === 'disputes') showDisputes();
}

setUpApplicant();
setUpBook();
setUpFurnish();
setUpDisputes();
window.addEventListener('hashchange', route);
setUpSession({
  onSignIn: async () => {
    await loadInstitutions();
    startAlerts();
    startDisputes();
    route();
  },
  onSignOut: () => {
    stopAlerts();
    stopDisputes();
  },
});
