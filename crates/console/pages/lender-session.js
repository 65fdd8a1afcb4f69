// The lender console's sign-in. Owns the operator token (kept in this tab's sessionStorage
// only), the institution it signs in as, and every call to the node's operator endpoints,
// which act with the institution's key: a 401 from any of them signs the page out.

import { api, ApiError, fill, notify } from './common.js';

const TOKEN = 'credence.operator';

let current = null;
let hooks = { onSignIn: async () => {}, onSignOut: () => {} };

/** The signed-in institution, `{ institution, name }`, or null when signed out. */
export const session = () => current;

/** Calls an operator endpoint with the token; a 401 signs the page out. */
export async function operator(path, options = {}) {
  const token = sessionStorage.getItem(TOKEN);
  try {
    return await api(`/console/api/${path}`, {
      ...options,
      headers: { authorization: `Bearer ${token}` },
    });
  } catch (error) {
    if (error.status === 401) signOut('Your session ended: sign in again.');
    throw error;
  }
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN);
  current = null;
  hooks.onSignOut();
  document.getElementById('app').classList.add('hidden');
  document.getElementById('login').classList.remove('hidden');
  notify('login-status', message, '');
}

/** Signs in with the token this tab holds, if any; a token the node refuses is forgotten. */
async function start() {
  if (!sessionStorage.getItem(TOKEN)) return;
  try {
    current = await api('/console/api/session', {
      headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN)}` },
    });
  } catch (error) {
    sessionStorage.removeItem(TOKEN);
    notify(
      'login-status',
      error.code === 'operator_token_invalid'
        ? "That operator token is not this node's."
        : `${error.code}: ${error.message}`,
      'error',
    );
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
  const message = error instanceof ApiError ? `${error.code}: ${error.message}` : String(error);
  notify('login-status', message, 'error');
}

/**
 * Wires the sign-in form and the sign-out button. `onSignIn(session)` runs after each
 * sign-in, `onSignOut()` after each sign-out. Signs in again at once with a token this tab
 * still holds from before a reload.
 */
export function setUpSession({ onSignIn, onSignOut }) {
  hooks = { onSignIn, onSignOut };
  document.getElementById('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN, document.getElementById('token').value.trim());
    start().catch(failed);
  });
  document.getElementById('sign-out').addEventListener('click', () => signOut('Signed out.'));
  start().catch(failed);
}
