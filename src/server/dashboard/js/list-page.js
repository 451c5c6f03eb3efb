/**
 * What the list pages (exceptions, messages, FBA shipments, returns) share: filters read from the
 * hash, the list's parts and layout (a table beside the selected row's detail panel), paging with
 * "Load more", drawing rows again without moving the keyboard's focus, and the selected row
 * marked in place. Each page keeps its own columns, rows, detail and selection key.
 */
import { fill, h } from './dom.js';

/** The hash's values of these filters ('' for one not given). */
export function paramsOf(route, names) {
  return Object.fromEntries(names.map((k) => [k, route.params.get(k) ?? '']));
}

/** The row count (read out), the rows, the list's error box and its "Load more" button. */
export function listParts(loadMore) {
  return {
    count: h('p', { class: 'muted', 'aria-live': 'polite' }),
    tbody: h('tbody', {}),
    listError: h('div', {}),
    more: h('button', { type: 'button', class: 'small', hidden: true, onclick: loadMore }, 'Load more'),
  };
}

/** The selected row's detail panel (hidden until one is open); its heading is `${id}-title`. */
export function detailPanel(id) {
  return h('section', { class: 'panel detail', id, 'aria-labelledby': `${id}-title`, hidden: true });
}

/** The page: head with count, filters, the list's errors, then the list beside the detail. */
export function splitLayout({ title, subtitle, count, form, listError, label, tableClass, caption, columns, tbody, more, detail }) {
  return [
    h('div', { class: 'page-head' }, h('h1', {}, title), subtitle ? h('p', { class: 'muted' }, subtitle) : null, count),
    form,
    listError,
    h(
      'div',
      { class: 'split' },
      h(
        'div',
        { class: 'split-main' },
        h(
          'div',
          { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': label },
          h('table', { class: tableClass }, caption ? h('caption', { class: 'visually-hidden' }, caption) : null, h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))), tbody),
        ),
        more,
      ),
      detail,
    ),
  ];
}

/** The one row of an empty list. */
export const emptyRow = (colspan, text) => h('tr', {}, h('td', { colspan, class: 'empty' }, text));

/** A click anywhere on the row opens it too (the button is the keyboard's way in). */
export function openOnRowClick(tr, button) {
  tr.addEventListener('click', (e) => {
    if (e.target.closest('a, button, input, select, textarea')) return;
    button.click();
  });
  return tr;
}

/**
 * A list endpoint read page by page: load() the first page, load({ append: true }) the next;
 * show() draws what is in items once a page arrived, a failure goes to the list's error box.
 */
export function pagedList({ app, path, query, listError, show }) {
  const list = {
    items: [],
    next: null,
    async load({ append = false } = {}) {
      const params = { ...query(), limit: 100, cursor: append ? list.next : undefined };
      try {
        const page = await app.api.get(path, params);
        list.items = append ? list.items.concat(page.items) : page.items;
        list.next = page.next;
        fill(listError);
        show();
      } catch (e) {
        fill(listError, app.errorBox(e));
      }
    },
  };
  return list;
}

/** Focus the control of the row whose data-<key> is value. */
export function focusRow(tbody, key, value, control = 'button.row-open') {
  [...tbody.querySelectorAll('tr')].find((tr) => tr.dataset[key] === String(value))?.querySelector(control)?.focus();
}

/**
 * Draw the list's rows, count and "Load more" again. A refresh must not take the keyboard's
 * place away: the focused row's control (found by the row's data-<key>) is focused again.
 */
export function showRows({ root, parts, list, row, empty, colspan, noun, key = 'id', control = 'button.row-open' }) {
  const { tbody, count, more } = parts;
  const focused = tbody.contains(document.activeElement) ? document.activeElement.closest('tr')?.dataset[key] : null;
  fill(tbody, list.items.length ? list.items.map(row) : emptyRow(colspan, empty));
  count.textContent = `${list.items.length}${list.next ? '+' : ''} ${noun}${list.items.length === 1 ? '' : 's'}`;
  more.hidden = !list.next;
  if (focused) focusRow(tbody, key, focused, control);
  root.dataset.loaded = 'true';
}

/** Mark the open row (and its button's aria-expanded) without drawing the rows again. */
export function markSelected(tbody, key, isOpen) {
  for (const tr of tbody.querySelectorAll(`tr[data-${key}]`)) {
    const on = isOpen(tr.dataset[key]);
    tr.classList.toggle('selected', on);
    tr.querySelector('button.row-open')?.setAttribute('aria-expanded', String(on));
  }
}

/** The detail just opened takes the focus (its heading) and comes into view. */
export function focusDetail(detail) {
  detail.querySelector('h2')?.focus();
  detail.scrollIntoView({ block: 'nearest' });
}

/**
 * A split page's answer to a new hash: the filters back in the form, the list loaded again when
 * one changed, and the rows and detail drawn again when the selection changed. state holds
 * { filters, selected }; keyOf(selection) compares selections (null for none).
 */
export function followHash(state, { names, filtersOf, selectionOf, keyOf = (s) => s, form, list, showList, showDetail }) {
  return async (r) => {
    const f = filtersOf(r);
    const sel = selectionOf(r);
    const changed = names.some((k) => f[k] !== state.filters[k]);
    state.filters = f;
    form.set(f);
    if (changed) await list.load();
    if (keyOf(sel) !== keyOf(state.selected)) {
      state.selected = sel;
      showList();
      await showDetail();
    }
  };
}

/** The selected id in the hash (?id=12), or null. */
export const idOf = (route) => (route.params.get('id') ? Number(route.params.get('id')) : null);

/**
 * The selected row's detail from the API, or null when the request failed: the panel then shows
 * the error under `heading` (the heading element to show instead of the detail's own).
 */
export async function detailData(app, detail, path, heading) {
  try {
    return await app.api.get(path);
  } catch (e) {
    detail.hidden = false;
    fill(detail, heading, app.errorBox(e));
    return null;
  }
}

/** The detail's head: its heading (focusable, for focusDetail) and the Close button. */
export function panelHead(titleId, title, onClose) {
  return h('div', { class: 'panel-head' }, h('h2', { id: titleId, tabindex: '-1' }, title), h('button', { type: 'button', class: 'small link-button', onclick: onClose }, 'Close'));
}

/** Show the detail panel with these children; data goes to its data-* attributes (what tests and styles read). */
export function showDetailPanel(detail, data, ...children) {
  detail.hidden = false;
  Object.assign(detail.dataset, data);
  return fill(detail, ...children);
}
