// The lender console's sign-in. Owns the institution it signs in as and every call to the
// node's operator endpoints, which act with the institution's key. The operator token is the
// page's credential (common.js), kept in this tab's sessionStorage only: the console's reads
// go through the node's proxy with it, as the institution. A 401 from an operator endpoint
// signs the page out.

import {
  api,
  credentialKind,
  explain,
  fill,
  notify,
  restoreCredential,
  setCredential,
  signOut as forget,
} from './common.js';

let current = null;
let hooks = { onSignIn: async () => {}, onSignOut: () => {} };

/** The signed-in institution, `{ institution, name }`, or null when signed out. */
export const session = () => current;

/** Calls an operator endpoint with the token; a 401 signs the page out. */
export async function operator(path, options = {}) {
  try {
    return await api(`/console/api/${path}`, options);
  } catch (error) {
    if (error.status === 401) signOut('Your session ended: sign in again.');
    throw error;
  }
}

function signOut(message) {
  forget();
  current = null;
  hooks.onSignOut();
  document.getElementById('app').classList.add('hidden');
  document.getElementById('login').classList.remove('hidden');
  notify('login-status', message, '');
}

/** Signs in with the token this tab holds, if any; a token the node refuses is forgotten. */
async function start() {
  if (credentialKind() !== 'operator') return;
  try {
    current = await api('/console/api/session');
  } catch (error) {
    forget();
    notify('login-status', explain(error), 'error');
    return;
  }
  document.getElementById('token').value = '';
  fill('login-status');
  document.getElementById('login').classList.add('hidden');
  document.getElementById('app').classList.remove('hidden');
  fill('who', `Signed in for ${current.name} (institution ${current.institution}).`);
  await hooks.onSignIn(current);
}

/** What went wrong in signing in, or in what runs on signing in, under the sign-in form. */
function failed(error) {
  notify('login-status', explain(error), 'error');
}

/**
 * Wires the sign-in form and the sign-out button. `onSignIn(session)` runs after each
 * sign-in, `onSignOut()` after each sign-out. Signs in again at once with a token this tab
 * still holds from before a reload (or from the explorer's sign-in).
 */
export function setUpSession({ onSignIn, onSignOut }) {
  hooks = { onSignIn, onSignOut };
  document.getElementById('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = document.getElementById('token').value.trim();
    setCredential({ token }, { remember: true }).then(start).catch(failed);
  });
  document.getElementById('sign-out').addEventListener('click', () => signOut('Signed out.'));
  restoreCredential().then(start).catch(failed);
}
