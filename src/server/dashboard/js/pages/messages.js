/**
 * The message log: every file in or out with its flow, partner, seller, status axes and the
 * orders it carried; filters in the hash; each row opens the message view.
 */
import { fill, h, ORDER_ID, timeEl } from '../dom.js';
import { enumOf, filterForm, sellerAndPartnerIds } from '../filters.js';
import { messageHref, navigate, orderHref } from '../route.js';

const FILTERS = ['partner', 'seller', 'flow', 'state', 'direction', 'orderId'];

export const DIRECTION_TEXT = { in: '↓ in', out: '↑ out' };

/** An axis value as a badge whose class and words both say it. */
export function axisBadge(value) {
  if (!value) return h('span', { class: 'muted' }, '—');
  const bad = /reject|overdue|fail|error|invalid|dead/.test(value);
  const good = /accept|delivered|valid|processed|ok|confirmed|picked/.test(value) && !bad;
  return h('span', { class: ['badge', bad ? 'status-critical' : good ? 'status-ok' : 'status-unknown'] }, `${bad ? '✖ ' : good ? '✓ ' : ''}${value}`);
}

export function orderLinks(orderIds, seller) {
  if (!orderIds?.length) return h('span', { class: 'muted' }, '—');
  const shown = orderIds.slice(0, 3);
  return h(
    'span',
    { class: 'order-links' },
    // Only Amazon order ids link to the order view (a rejected set is listed by its control number).
    shown.map((o, i) => [i ? ', ' : '', seller && ORDER_ID.test(o) ? h('a', { href: orderHref(seller, o) }, o) : h('code', {}, o)]),
    orderIds.length > shown.length ? ` +${orderIds.length - shown.length} more` : '',
  );
}

export async function render(root, route, app) {
  let filters = Object.fromEntries(FILTERS.map((k) => [k, route.params.get(k) ?? '']));
  let items = [];
  let next = null;
  const form = filterForm(
    [
      { name: 'partner', label: 'Partner', anyLabel: 'any partner' },
      { name: 'seller', label: 'Seller', anyLabel: 'any seller' },
      { name: 'flow', label: 'Flow', anyLabel: 'any flow' },
      { name: 'state', label: 'State', type: 'text', placeholder: 'rejected, overdue…' },
      { name: 'direction', label: 'Direction', options: ['in', 'out'], anyLabel: 'both' },
      { name: 'orderId', label: 'Order id', type: 'text', placeholder: '111-…' },
    ],
    filters,
    (values) => navigate(['messages'], values, { replace: true }) || load(),
    { label: 'Message filters' },
  );
  Promise.all([enumOf('/messages', 'flow'), enumOf('/messages', 'direction'), sellerAndPartnerIds()]).then(([flows, directions, ids]) => {
    form.options('flow', flows.length ? flows : ['orders', 'shipments', 'inventory', 'receipts', 'inbound-asn', 'acknowledgements']);
    if (directions.length) form.options('direction', directions);
    form.options('seller', ids.sellers);
    form.options('partner', ids.partners);
  });

  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const tbody = h('tbody', {});
  const listError = h('div', {});
  const more = h('button', { type: 'button', class: 'small', hidden: true, onclick: () => load({ append: true }) }, 'Load more');
  fill(
    root,
    h('div', { class: 'page-head' }, h('h1', {}, 'Messages'), count),
    form.form,
    listError,
    h(
      'div',
      { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Messages' },
      h('table', { class: 'messages' }, h('thead', {}, h('tr', {}, ['Message', 'Direction', 'Flow', 'Partner', 'Seller', 'File', 'Status', 'Validation', 'Delivery', 'Acknowledgement', 'When', 'Orders'].map((c) => h('th', { scope: 'col' }, c)))), tbody),
    ),
    more,
  );

  function row(m) {
    return h(
      'tr',
      { 'data-id': String(m.id), 'data-direction': m.direction, 'data-flow': m.flow },
      h('th', { scope: 'row' }, h('a', { href: messageHref(m.id) }, `#${m.id}`)),
      h('td', {}, DIRECTION_TEXT[m.direction] ?? m.direction),
      h('td', {}, m.flow),
      h('td', {}, m.partner ?? '—'),
      h('td', {}, m.seller ?? '—'),
      h('td', { class: 'file' }, m.fileName ? h('code', {}, m.fileName) : '—', m.control ? h('span', { class: 'muted' }, ` ${m.control}`) : null),
      h('td', {}, h('span', { class: 'badge' }, m.status)),
      h('td', {}, axisBadge(m.validation)),
      h('td', {}, axisBadge(m.delivery)),
      h('td', {}, axisBadge(m.acknowledgement), m.ackDueAt && m.acknowledgement === 'awaiting' ? [' due ', timeEl(m.ackDueAt, { relative: true })] : null),
      h('td', {}, timeEl(m.receivedAt ?? m.createdAt, { relative: true })),
      h('td', {}, orderLinks(m.orderIds, m.seller)),
    );
  }

  async function load({ append = false } = {}) {
    try {
      const page = await app.api.get('/messages', { ...filters, limit: 100, cursor: append ? next : undefined });
      items = append ? items.concat(page.items) : page.items;
      next = page.next;
      fill(listError);
      // A refresh must not take the keyboard's place away: the focused row's link is focused again.
      const focused = tbody.contains(document.activeElement) ? document.activeElement.closest('tr')?.dataset.id : null;
      fill(tbody, items.length ? items.map(row) : h('tr', {}, h('td', { colspan: 12, class: 'empty' }, 'No messages match these filters.')));
      if (focused) tbody.querySelector(`tr[data-id="${focused}"] th a`)?.focus();
      count.textContent = `${items.length}${next ? '+' : ''} message${items.length === 1 ? '' : 's'}`;
      more.hidden = !next;
      root.dataset.loaded = 'true';
    } catch (e) {
      fill(listError, app.errorBox(e));
    }
  }

  await load();
  return {
    async update(r) {
      filters = Object.fromEntries(FILTERS.map((k) => [k, r.params.get(k) ?? '']));
      form.set(filters);
      await load();
    },
    refresh: () => load(),
  };
}
