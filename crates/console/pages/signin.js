// The sign-in of the explorer and the regulator view. Owns the form that sets the page's
// credential (common.js): an operator token of this node, whose reads the node answers as its
// own institution, or — where the page takes one — an institution's key file, whose signing
// key signs every read in this page. Either is kept in this tab only (sessionStorage), so the
// console's other pages in the tab read as the same institution; signing out forgets it.

import {
  credentialKind,
  explain,
  fill,
  h,
  notify,
  restoreCredential,
  setCredential,
  signOut,
  whoAmI,
} from './common.js';

/**
 * Puts the sign-in into the element `id`. `keyFile` adds the key-file form beside the
 * token's; `help` says what signing in unlocks on this page. `onChange(who)` runs once the
 * page knows who reads (at start, from what this tab remembers) and after each sign-in and
 * sign-out: `who` is the institution's directory entry, or null when anonymous.
 */
export async function setUpSignIn(id, { keyFile = false, help, onChange }) {
  const show = async (who) => {
    if (who) {
      const how = credentialKind() === 'operator' ? "this node's operator token" : 'its key file';
      fill(
        id,
        h(
          'p',
          { id: 'signed-in' },
          `Reading as ${who.name} (${who.roles.join(', ')}), with ${how}. `,
          h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              id: 'sign-out',
              onclick: () => {
                signOut();
                show(null);
              },
            },
            'Sign out',
          ),
        ),
      );
    } else {
      fill(
        id,
        form(keyFile, help, signedIn),
        h('div', { id: `${id}-status`, 'aria-live': 'polite' }),
      );
    }
    await onChange(who);
  };
  /** Checks the new credential with the node; one it refuses is forgotten at once. */
  const signedIn = async (credential) => {
    let who;
    try {
      await setCredential(credential, { remember: true });
      who = await whoAmI();
      if (!who) throw new Error("this key is no member institution's signing key");
    } catch (error) {
      signOut();
      notify(`${id}-status`, explain(error), 'error');
      return;
    }
    await show(who);
  };
  let who = null;
  if (await restoreCredential()) {
    who = await whoAmI().catch(() => {
      signOut();
      return null;
    });
  }
  await show(who);
}

/** The sign-in forms: a token, and a key file when the page takes one. */
function form(keyFile, help, signedIn) {
  const token = h('input', {
    id: 'sign-in-token',
    name: 'token',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const forms = [
    h('p', { class: 'muted' }, help),
    h(
      'form',
      {
        id: 'sign-in-token-form',
        class: 'inline',
        onsubmit: (event) => {
          event.preventDefault();
          signedIn({ token: token.value.trim() });
        },
      },
      h('label', {}, "This node's operator token ", token),
      h('button', { type: 'submit' }, 'Sign in'),
    ),
  ];
  if (keyFile) {
    const file = h('input', { id: 'sign-in-file', type: 'file', accept: 'application/json,.json' });
    const text = h('textarea', {
      id: 'sign-in-key',
      rows: 3,
      autocomplete: 'off',
      spellcheck: 'false',
    });
    forms.push(
      h(
        'form',
        {
          id: 'sign-in-key-form',
          onsubmit: async (event) => {
            event.preventDefault();
            const chosen = file.files[0];
            const json = chosen ? await chosen.text() : text.value;
            text.value = '';
            let parsed;
            try {
              parsed = JSON.parse(json);
            } catch {
              parsed = {};
            }
            signedIn(parsed);
          },
        },
        h(
          'label',
          {},
          "Or the institution's key file (as ",
          h('code', {}, 'credence keys'),
          ' writes it) ',
          file,
        ),
        h('label', {}, 'or paste it ', text),
        h('button', { type: 'submit', class: 'secondary' }, 'Sign in with the key file'),
        h(
          'p',
          { class: 'muted' },
          'The key signs each read in this page and is kept in this tab only; it is never sent.',
        ),
      ),
    );
  }
  return forms;
}
