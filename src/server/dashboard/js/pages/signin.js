/** The sign-in form: a bearer token (as `dockgate api token` prints it), kept for this tab only. */
import { h } from '../dom.js';

export function renderSignIn({ onToken, message, failed = false }) {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false', 'aria-describedby': 'token-help' });
  const form = h(
    'form',
    {
      class: 'signin',
      'aria-labelledby': 'signin-title',
      onsubmit(e) {
        e.preventDefault();
        const t = input.value.trim();
        if (t) onToken(t, { fromForm: true });
      },
    },
    h('h1', { id: 'signin-title' }, 'Sign in to Dockgate'),
    failed ? h('p', { class: 'error', role: 'alert', id: 'signin-error' }, `Not signed in: ${message}`) : null,
    h('label', { for: 'token' }, 'API token'),
    input,
    h(
      'p',
      { id: 'token-help', class: 'help' },
      'A token from the gateway’s configuration (api.tokens) or DOCKGATE_API_TOKEN. Make one with ',
      h('code', {}, 'dockgate api token --name you --access read-only'),
      '. It is kept in this browser tab only (sessionStorage) and sent as a bearer token.',
    ),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  return form;
}
