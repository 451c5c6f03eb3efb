/**
 * The exception queue: filters (state, kind, seller, partner, owner) kept in the hash, the list,
 * and the detail of the selected one with its context (payload excerpt, file and where in it, the
 * mapping file and key to fix, the hint, the last good state) and the actions Assign, Resolve
 * (a note is required) and Retry. Each action's outcome is shown and read out; the list reloads.
 */
import { ApiFailure } from '../api.js';
import { dl, fill, formatTime, h, ORDER_ID, timeEl } from '../dom.js';
import { enumOf, filterForm, sellerAndPartnerIds } from '../filters.js';
import { detailData, detailPanel, focusDetail, focusRow, followHash, idOf, listParts, markSelected, openOnRowClick, pagedList, panelHead, paramsOf, showDetailPanel, showRows, splitLayout } from '../list-page.js';
import { hashOf, messageHref, navigate, orderHref } from '../route.js';

const FILTERS = ['state', 'kind', 'seller', 'partner', 'owner'];
const DEFAULT_STATES = ['unresolved', 'open', 'acknowledged', 'resolved'];
/** The queue as operators work it: open or acknowledged (assigned), not yet resolved. */
const DEFAULT_STATE = 'unresolved';

/** The hash's filters as the API wants them; state defaults to open, "all" means any. */
function filtersOf(route) {
  const f = paramsOf(route, FILTERS);
  if (!route.params.has('state')) f.state = DEFAULT_STATE;
  if (f.state === 'all') f.state = '';
  return f;
}

function hashParams(filters, id) {
  return { state: filters.state || 'all', kind: filters.kind, seller: filters.seller, partner: filters.partner, owner: filters.owner, id };
}

const SEVERITY_TEXT = { info: 'ℹ info', warning: '▲ warning', error: '✖ error', critical: '✖✖ critical' };

function valueNode(v) {
  if (v === null || v === undefined) return h('span', { class: 'muted' }, '—');
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v)) return timeEl(v);
  if (typeof v === 'object') return h('pre', { class: 'json' }, JSON.stringify(v, null, 2));
  return String(v);
}

function objectDl(obj) {
  if (!obj || typeof obj !== 'object') return null;
  return dl(Object.entries(obj).map(([k, v]) => [k, valueNode(v)]));
}

export async function render(root, route, app) {
  const state = { filters: filtersOf(route), selected: idOf(route) };

  const form = filterForm(
    [
      { name: 'state', label: 'State', options: DEFAULT_STATES, anyLabel: 'any state' },
      { name: 'kind', label: 'Kind', options: [], anyLabel: 'any kind' },
      { name: 'seller', label: 'Seller', options: [], anyLabel: 'any seller' },
      { name: 'partner', label: 'Partner', options: [], anyLabel: 'any partner' },
      { name: 'owner', label: 'Owner', type: 'text', placeholder: 'name' },
    ],
    state.filters,
    // Apply with the same filters asks the server again.
    (values) => navigate(['exceptions'], hashParams(values, state.selected ?? undefined), { replace: true }) || list.load(),
    { label: 'Exception filters' },
  );
  const parts = listParts(() => list.load({ append: true }));
  const { count, tbody, listError, more } = parts;
  const list = pagedList({ app, path: '/exceptions', query: () => state.filters, listError, show: showList });
  const detail = detailPanel('exception-detail');
  const outcome = h('p', { class: 'outcome', id: 'exception-outcome', 'aria-live': 'polite' });

  const COLUMNS = ['Exception', 'Kind', 'Severity', 'Seller / partner', 'Key', 'Message', 'Owner', 'State', 'Seen', 'Last seen'];
  fill(root, ...splitLayout({ title: 'Exceptions', count, form: form.form, listError, label: 'Exceptions', tableClass: 'exceptions rows-clickable', columns: COLUMNS, tbody, more, detail }));

  // Filter choices from the API's declarations and lists (not a copy of the store's lists here).
  Promise.all([enumOf('/exceptions', 'kind'), enumOf('/exceptions', 'state'), sellerAndPartnerIds()]).then(([kinds, states, ids]) => {
    if (kinds.length) form.options('kind', kinds);
    if (states.length) form.options('state', states);
    form.options('seller', ids.sellers);
    form.options('partner', ids.partners);
  });

  function row(x) {
    const open = x.id === state.selected;
    const button = h('button', { type: 'button', class: 'row-open', 'aria-expanded': String(open), 'aria-controls': 'exception-detail', 'data-id': String(x.id) }, `#${x.id}`);
    // Open or closed as it is when clicked (select() changes rows without drawing them again).
    button.addEventListener('click', () => {
      const opening = state.selected !== x.id;
      select(opening ? x.id : null, { focus: opening });
    });
    const tr = h(
      'tr',
      { 'data-id': String(x.id), 'data-kind': x.kind, 'data-state': x.state, class: open ? 'selected' : '' },
      h('th', { scope: 'row' }, button),
      h('td', {}, h('code', {}, x.kind)),
      h('td', {}, h('span', { class: ['badge', `severity-${x.severity}`] }, SEVERITY_TEXT[x.severity] ?? x.severity)),
      h('td', {}, [x.seller, x.partner].filter(Boolean).join(' / ') || '—'),
      h('td', { class: 'key' }, h('code', {}, x.key)),
      h('td', { class: 'message-cell' }, x.message),
      h('td', {}, x.owner ?? h('span', { class: 'muted' }, 'unowned')),
      h('td', {}, h('span', { class: ['badge', `state-${x.state}`] }, x.state)),
      h('td', {}, `${x.count}×`),
      h('td', {}, timeEl(x.lastSeen, { relative: true })),
    );
    return openOnRowClick(tr, button);
  }

  function showList() {
    showRows({ root, parts, list, row, colspan: COLUMNS.length, empty: 'No exceptions match these filters.', noun: 'exception' });
  }

  const load = () => list.load();

  async function act(what, run) {
    fill(outcome, `${what}…`);
    try {
      const { text, ok = true } = await run();
      fill(outcome, h('span', { class: ok ? 'ok-text' : 'error-text' }, `${ok ? '✓' : '✖'} ${text}`));
      app.announce(text);
    } catch (e) {
      const text = `${what} failed: ${e instanceof ApiFailure ? e.message : String(e.message ?? e)}`;
      fill(outcome, h('span', { class: 'error-text' }, `✖ ${text}`));
      app.announce(text);
    }
    await Promise.all([load(), showDetail({ keepOutcome: true })]);
  }

  function reloadButton() {
    return h(
      'button',
      {
        type: 'button',
        class: 'small',
        'data-action': 'reload-mappings',
        onclick: () =>
          act('Reload mappings', async () => {
            const r = await app.api.post('/mappings/reload');
            const problems = r.problems.length ? ` ${r.problems.length} problem(s): ${r.problems.map((p) => `${p.file}:${p.line} ${p.message}`).join('; ')}` : ' No problems.';
            const restart = r.restartNeeded.length ? ` Restart needed for ${r.restartNeeded.join(', ')}.` : '';
            return { ok: r.problems.length === 0, text: `Mappings reloaded at ${formatTime(r.loadedAt)}.${problems}${restart}` };
          }),
      },
      'Reload mappings',
    );
  }

  function actions(x) {
    if (!app.canWrite) return h('p', { class: 'muted' }, 'Read-only token: assign, resolve and retry need a read-write token.');
    const owner = h('input', { id: 'assign-owner', name: 'owner', type: 'text', required: true, maxlength: '64', value: x.owner ?? app.whoami?.name ?? '', autocomplete: 'off' });
    const note = h('textarea', { id: 'resolve-note', name: 'note', required: true, maxlength: '2000', rows: '2' });
    const resolved = x.state === 'resolved';
    return h(
      'div',
      { class: 'actions-grid' },
      h(
        'form',
        {
          class: 'action',
          'aria-label': 'Assign',
          // The page says what is missing (in the outcome, read out), not the browser's bubble.
          novalidate: true,
          onsubmit(e) {
            e.preventDefault();
            const o = owner.value.trim();
            if (!o) {
              fill(outcome, h('span', { class: 'error-text' }, '✖ An owner is required to assign: who takes it.'));
              app.announce('An owner is required to assign.');
              return owner.focus();
            }
            act('Assign', async () => {
              const r = await app.api.post(`/exceptions/${x.id}/assign`, { owner: o });
              return { text: `Exception #${x.id} assigned to ${r.exception.owner ?? o}.` };
            });
          },
        },
        h('label', { for: 'assign-owner' }, 'Owner'),
        h('div', { class: 'inline' }, owner, h('button', { type: 'submit', 'data-action': 'assign' }, 'Assign')),
      ),
      h(
        'form',
        {
          class: 'action',
          'aria-label': 'Resolve',
          // The page says what is missing (in the outcome, read out), not the browser's bubble.
          novalidate: true,
          onsubmit(e) {
            e.preventDefault();
            const n = note.value.trim();
            if (!n) {
              fill(outcome, h('span', { class: 'error-text' }, '✖ A note is required to resolve: say what was done.'));
              app.announce('A note is required to resolve.');
              return note.focus();
            }
            act('Resolve', async () => {
              await app.api.post(`/exceptions/${x.id}/resolve`, { note: n });
              return { text: `Exception #${x.id} resolved.` };
            });
          },
        },
        h('label', { for: 'resolve-note' }, 'Resolution note (required)'),
        h('div', { class: 'inline' }, note, h('button', { type: 'submit', 'data-action': 'resolve', disabled: resolved }, 'Resolve')),
      ),
      h(
        'div',
        { class: 'action' },
        h('span', { class: 'label' }, 'After editing a mapping file: load it again (a retry does this too)'),
        reloadButton(),
      ),
      h(
        'div',
        { class: 'action' },
        h('span', { class: 'label' }, 'Retry what failed, now'),
        h(
          'button',
          {
            type: 'button',
            'data-action': 'retry',
            disabled: resolved,
            onclick: () =>
              act('Retry', async () => {
                const r = await app.api.post(`/exceptions/${x.id}/retry`);
                const problems = r.reload?.problems?.length ? ` Mapping problems: ${r.reload.problems.map((p) => `${p.file}:${p.line} ${p.message}`).join('; ')}` : '';
                return { ok: r.succeeded !== false, text: `Retry #${x.id}: ${r.outcome} (now ${r.exception?.state ?? 'unknown'}).${problems}` };
              }),
          },
          'Retry',
        ),
      ),
    );
  }

  function refLinks(x) {
    if (!x.refs?.length) return null;
    return h(
      'ul',
      { class: 'refs' },
      x.refs.map((r) => h('li', {}, x.seller && ORDER_ID.test(r) ? h('a', { href: orderHref(x.seller, r) }, r) : h('code', {}, r))),
    );
  }

  async function showDetail({ keepOutcome = false, focus = false } = {}) {
    if (state.selected === null) {
      detail.hidden = true;
      return;
    }
    if (!keepOutcome) fill(outcome);
    const d = await detailData(app, detail, `/exceptions/${state.selected}`, h('h2', { id: 'exception-detail-title' }, `Exception #${state.selected}`));
    if (d === null) return;
    const x = d.exception;
    const ctx = x.context ?? {};
    const file = ctx.file;
    showDetailPanel(
      detail,
      { id: String(x.id), state: x.state },
      panelHead('exception-detail-title', [`Exception #${x.id} · `, h('code', {}, x.kind)], () => select(null, { focusRow: x.id })),
      h('p', { class: 'exception-message' }, x.message),
      dl([
        ['State', [h('span', { class: ['badge', `state-${x.state}`] }, x.state), x.resolvedAt ? [' ', timeEl(x.resolvedAt)] : null]],
        ['Severity', SEVERITY_TEXT[x.severity] ?? x.severity],
        ['Owner', x.owner ?? 'unowned'],
        ['Seller', x.seller],
        ['Partner', x.partner],
        ['Key', h('code', {}, x.key)],
        ['First seen', timeEl(x.firstSeen)],
        ['Last seen', [timeEl(x.lastSeen), ` (${x.count}×)`]],
        ['Note', x.note],
        ['Affects', refLinks(x)],
      ]),
      h('h3', {}, 'Context'),
      dl([
        ['File', file ? (file.messageId ? h('a', { href: messageHref(file.messageId) }, file.name) : h('code', {}, file.name)) : null],
        ['Where', ctx.where],
        ['Payload excerpt', ctx.excerpt ? h('pre', { class: 'excerpt' }, ctx.excerpt) : null],
        ['Details', ctx.details && Object.keys(ctx.details).length ? objectDl(ctx.details) : null],
      ]),
      h('h3', {}, 'How to fix'),
      dl([
        ['Mapping file', d.fix?.mappingFile ? h('code', { class: 'mapping-file' }, d.fix.mappingFile) : null],
        ['Mapping key', d.fix?.mappingKey ? h('code', { class: 'mapping-key' }, d.fix.mappingKey) : null],
        ['Hint', d.fix?.hint ? h('span', { class: 'hint' }, d.fix.hint) : null],
      ]),
      h('h3', {}, 'Last good state'),
      d.lastGood ? objectDl(d.lastGood) : h('p', { class: 'muted' }, 'Not known for this kind.'),
      h('h3', {}, 'Actions'),
      actions(x),
      outcome,
    );
    if (focus) focusDetail(detail);
  }

  function select(id, { focus = false, focusRow: rowId = null } = {}) {
    state.selected = id;
    navigate(['exceptions'], hashParams(state.filters, id ?? undefined), { replace: true });
    markSelected(tbody, 'id', (v) => Number(v) === id);
    showDetail({ focus });
    if (rowId !== null) focusRow(tbody, 'id', rowId);
  }

  await Promise.all([load(), showDetail()]);

  return {
    update: followHash(state, { names: FILTERS, filtersOf, selectionOf: idOf, form, list, showList, showDetail }),
    refresh: () => load(),
  };
}
