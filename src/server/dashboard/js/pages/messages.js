/**
 * The message log: every file in or out with its flow, partner, seller, status axes and the
 * orders it carried; filters in the hash; each row opens the message view.
 */
import { fill, h, ORDER_ID, timeEl } from '../dom.js';
import { enumOf, filterForm, sellerAndPartnerIds } from '../filters.js';
import { listParts, pagedList, paramsOf, showRows } from '../list-page.js';
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
  let filters = paramsOf(route, FILTERS);
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
    (values) => navigate(['messages'], values, { replace: true }) || list.load(),
    { label: 'Message filters' },
  );
  Promise.all([enumOf('/messages', 'flow'), enumOf('/messages', 'direction'), sellerAndPartnerIds()]).then(([flows, directions, ids]) => {
    form.options('flow', flows.length ? flows : ['orders', 'shipments', 'inventory', 'receipts', 'inbound-asn', 'acknowledgements']);
    if (directions.length) form.options('direction', directions);
    form.options('seller', ids.sellers);
    form.options('partner', ids.partners);
  });

  const parts = listParts(() => list.load({ append: true }));
  const { count, tbody, listError, more } = parts;
  // A refresh must not take the keyboard's place away: the focused row's link is focused again.
  const showList = () => showRows({ root, parts, list, row, colspan: 12, empty: 'No messages match these filters.', noun: 'message', control: 'th a' });
  const list = pagedList({ app, path: '/messages', query: () => filters, listError, show: showList });
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

  await list.load();
  return {
    async update(r) {
      filters = paramsOf(r, FILTERS);
      form.set(filters);
      await list.load();
    },
    refresh: () => list.load(),
  };
}
