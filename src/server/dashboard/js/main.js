/**
 * The dashboard's shell: the sign-in (token from "#token=..." or the form, kept in
 * sessionStorage), who is signed in, the navigation, the hash router that shows one page at a
 * time, the live region that reads action outcomes out, and the 15 s refresh of the page shown.
 */
import { api, ApiFailure, token, whenUnauthorized } from './api.js';
import { fill, h } from './dom.js';
import { parseHash } from './route.js';
import * as overview from './pages/overview.js';
import * as exceptions from './pages/exceptions.js';
import * as messages from './pages/messages.js';
import * as message from './pages/message.js';
import * as order from './pages/order.js';
import * as reconciliation from './pages/reconciliation.js';
import * as fba from './pages/fba.js';
import * as returns from './pages/returns.js';
import { renderSignIn } from './pages/signin.js';

const REFRESH_MS = 15_000;

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const live = document.getElementById('live');

/** What every page gets: the API, who is signed in, and the live region. */
const app = {
  api,
  whoami: null,
  get canWrite() {
    return app.whoami?.access === 'read-write';
  },
  /** Read out (and show) an action's outcome. */
  announce(text) {
    // Emptied first so the same words twice are read twice.
    live.textContent = '';
    requestAnimationFrame(() => (live.textContent = text));
  },
};

let current = null; // { key, module, view }
let timer = null;

function pageFor(route) {
  switch (route.page) {
    case 'overview':
      return { key: 'overview', module: overview };
    case 'exceptions':
      return { key: 'exceptions', module: exceptions };
    case 'messages':
      return route.parts.length ? { key: `message:${route.parts[0]}`, module: message } : { key: 'messages', module: messages };
    case 'orders':
      return { key: `order:${route.parts.join('/')}`, module: order };
    case 'reconciliation':
      return { key: 'reconciliation', module: reconciliation };
    case 'fba':
      return { key: 'fba', module: fba };
    case 'returns':
      return { key: 'returns', module: returns };
    default:
      return null;
  }
}

function showError(e) {
  const text = e instanceof ApiFailure ? `${e.message}${e.status ? ` (HTTP ${e.status})` : ''}` : String(e?.message ?? e);
  return h('p', { class: 'error', role: 'alert' }, text);
}
app.errorBox = showError;

async function route() {
  if (!app.whoami) return;
  const r = parseHash();
  const target = pageFor(r);
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.page === (r.page === 'orders' ? 'messages' : r.page)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!target) {
    fill(main, h('h1', {}, 'Not found'), h('p', {}, 'No such page. '), h('a', { href: '#/overview' }, 'Go to the overview'));
    return;
  }
  // The same page with other filters: the page updates itself, keeping what it shows meanwhile.
  if (current && current.key === target.key && current.view.update) {
    await current.view.update(r);
    return;
  }
  current?.view.dispose?.();
  const section = h('div', { class: 'page', 'data-page': target.key.split(':')[0] });
  fill(main, section);
  try {
    current = { key: target.key, module: target.module, view: (await target.module.render(section, r, app)) ?? {} };
  } catch (e) {
    current = { key: target.key, module: target.module, view: {} };
    section.append(showError(e));
  }
  document.title = `${section.querySelector('h1')?.textContent ?? 'Dockgate'} · Dockgate`;
}

function startRefresh() {
  clearInterval(timer);
  timer = setInterval(() => {
    if (document.visibilityState !== 'visible' || !current?.view.refresh) return;
    current.view.refresh().catch((e) => console.warn('refresh failed', e));
  }, REFRESH_MS);
}

function showWho() {
  const w = app.whoami;
  fill(
    who,
    h('span', { class: 'who-name' }, w.name),
    ' ',
    h('span', { class: ['badge', w.access === 'read-write' ? 'access-rw' : 'access-ro'] }, w.access),
    w.buyerData ? h('span', { class: 'badge access-buyer' }, 'buyer data') : null,
    ' ',
    h('button', { type: 'button', class: 'link-button', onclick: signOut }, 'Sign out'),
  );
}

/** Forget the token and the page shown, and show the sign-in form (with why, when there is a reason). */
function toSignIn(message) {
  token.clear();
  app.whoami = null;
  current?.view.dispose?.();
  current = null;
  clearInterval(timer);
  nav.hidden = true;
  who.replaceChildren();
  fill(main, renderSignIn(message ? { onToken: signIn, message, failed: true } : { onToken: signIn }));
}

function signOut() {
  toSignIn();
  main.querySelector('input')?.focus();
}

async function signIn(t, { fromForm = false } = {}) {
  if (t) token.set(t);
  try {
    app.whoami = await api.get('/whoami');
  } catch (e) {
    app.whoami = null;
    nav.hidden = true;
    // Not answering is not a refusal: the token is kept and asked again on "Try again".
    if (e instanceof ApiFailure && e.status !== 401 && e.status !== 403) {
      fill(main, h('h1', {}, 'Dockgate'), showError(e), h('button', { type: 'button', onclick: () => signIn(null) }, 'Try again'));
      return;
    }
    token.clear();
    fill(main, renderSignIn({ onToken: signIn, message: e instanceof ApiFailure ? e.message : String(e), failed: true }));
    if (fromForm) main.querySelector('input')?.focus();
    return;
  }
  nav.hidden = false;
  showWho();
  startRefresh();
  current = null;
  await route();
}

whenUnauthorized((f) => {
  // A token revoked (or a gateway restarted without it) mid-session: back to the form, saying why.
  if (!app.whoami) return;
  toSignIn(f.message);
});

document.getElementById('skip').addEventListener('click', () => main.focus());
window.addEventListener('hashchange', () => {
  // "#token=..." arriving while the page is open (the demo's link pasted again).
  if (/^#token=/.test(location.hash)) return boot();
  route();
});

function boot() {
  // The demo prints ".../dashboard/#token=...": taken from the fragment, then wiped from the
  // address bar and history, so it is not left on screen or in a bookmark.
  const m = /^#token=([^&]+)/.exec(location.hash);
  if (m) {
    token.set(decodeURIComponent(m[1]));
    history.replaceState(null, '', `${location.pathname}#/overview`);
  }
  if (token.get()) signIn(null);
  else signOut();
}

boot();
