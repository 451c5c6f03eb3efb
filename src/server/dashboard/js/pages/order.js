/**
 * One order's whole way: from Amazon to the warehouse (sent, delivered, acknowledged or
 * rejected, held) and back (shipped, confirmed at Amazon), each step linked to the message or
 * exception behind it; then its lines, revisions and packages.
 */
import { dl, fill, formatDuration, h, timeEl } from '../dom.js';
import { exceptionHref, messageHref } from '../route.js';

const STAGE_TEXT = {
  amazon: '◆ Amazon',
  sent: '↑ sent',
  delivered: '⇥ delivered',
  acknowledged: '✓ acknowledged',
  rejected: '✖ rejected',
  shipped: '▣ shipped',
  confirmed: '✓ confirmed at Amazon',
  held: '‖ held',
  cancelled: '✖ cancelled',
  exception: '⚠ exception',
};
const BAD = new Set(['rejected', 'held', 'cancelled', 'exception']);

const flag = (on, yes, no) => h('span', { class: ['badge', on ? 'status-ok' : 'status-unknown'] }, on ? `✓ ${yes}` : `○ ${no}`);

function rowsOf(list, columns) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, columns.map(([label]) => h('th', { scope: 'col' }, label)))),
      h('tbody', {}, list.length ? list.map((item) => h('tr', {}, columns.map(([, cell]) => h('td', {}, cell(item) ?? '—')))) : h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, 'None.'))),
    ),
  );
}

const scalar = (v) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export async function render(root, route, app) {
  const [seller, orderId] = route.parts;
  let d;
  try {
    d = await app.api.get(`/orders/${encodeURIComponent(seller)}/${encodeURIComponent(orderId)}`);
  } catch (e) {
    fill(root, h('h1', {}, `Order ${orderId}`), app.errorBox(e), h('p', {}, h('a', { href: '#/messages' }, 'Back to the messages')));
    return {};
  }
  const o = d.order;
  const timeline = [...(d.timeline ?? [])].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  fill(
    root,
    h('p', { class: 'crumbs' }, h('a', { href: `#/messages?orderId=${encodeURIComponent(orderId)}` }, 'Messages of this order'), ' › ', orderId),
    h('div', { class: 'page-head' }, h('h1', {}, 'Order ', h('code', {}, o.orderId)), h('p', { class: 'muted' }, `${o.seller} → ${o.partner ?? 'no partner'}`)),
    h('p', { class: 'flags' }, flag(o.sent, 'sent', 'not sent'), ' ', flag(o.acknowledged, 'acknowledged', 'not acknowledged'), ' ', flag(o.shipped, 'shipped', 'not shipped'), ' ', flag(o.confirmed, 'confirmed', 'not confirmed'), o.held ? [' ', h('span', { class: 'badge status-critical' }, '‖ held')] : null),
    dl([
      ['State', h('span', { class: 'badge' }, o.state)],
      ['Amazon status', o.amazonStatus],
      ['Amazon updated', o.amazonUpdatedAt ? timeEl(o.amazonUpdatedAt) : null],
      ['Marketplace', o.marketplaceId],
      ['Held by', o.heldBy ? h('a', { href: exceptionHref(o.heldBy) }, `exception #${o.heldBy}`) : null],
      ['Acknowledgement', o.acknowledgement],
      ['Ship to', d.redacted ? '[redacted] (this token may not see buyer data)' : o.shipTo ? h('pre', { class: 'json' }, JSON.stringify(o.shipTo, null, 2)) : null],
      ['Ship by', o.shipBy ? timeEl(o.shipBy) : null],
      ['Revision', o.revision],
      ['Tracking lag', o.lagSeconds === null || o.lagSeconds === undefined ? null : formatDuration(o.lagSeconds)],
      ['Created', timeEl(o.createdAt)],
      ['Updated', timeEl(o.updatedAt)],
    ]),
    h(
      'section',
      { 'aria-labelledby': 'timeline-title' },
      h('h2', { id: 'timeline-title' }, 'Timeline'),
      timeline.length
        ? h(
            'ol',
            { class: 'timeline' },
            timeline.map((t) =>
              h(
                'li',
                { class: ['step', `stage-${t.stage}`, BAD.has(t.stage) ? 'bad' : ''], 'data-stage': t.stage },
                h('span', { class: 'step-stage' }, STAGE_TEXT[t.stage] ?? t.stage),
                ' ',
                timeEl(t.at),
                h('div', { class: 'step-what' }, t.what, t.messageId ? [' · ', h('a', { href: messageHref(t.messageId) }, `message #${t.messageId}`)] : null, t.exceptionId ? [' · ', h('a', { href: exceptionHref(t.exceptionId) }, `exception #${t.exceptionId}`)] : null),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'Nothing recorded yet.'),
    ),
    d.exceptions?.length
      ? h(
          'section',
          { 'aria-labelledby': 'order-exceptions-title' },
          h('h2', { id: 'order-exceptions-title' }, 'Exceptions'),
          rowsOf(d.exceptions, [
            ['Exception', (x) => h('a', { href: exceptionHref(x.id) }, `#${x.id}`)],
            ['Kind', (x) => h('code', {}, x.kind)],
            ['State', (x) => h('span', { class: ['badge', `state-${x.state}`] }, x.state)],
            ['Message', (x) => x.message],
            ['First seen', (x) => timeEl(x.firstSeen)],
          ]),
        )
      : null,
    h(
      'section',
      { 'aria-labelledby': 'lines-title' },
      h('h2', { id: 'lines-title' }, 'Lines'),
      rowsOf(o.lines ?? [], [
        ['Line', (l) => scalar(l.lineNumber)],
        ['SKU', (l) => h('code', {}, scalar(l.sellerSku))],
        ['Ordered', (l) => scalar(l.ordered)],
        ['Shipped', (l) => scalar(l.shipped)],
        ['Amazon item', (l) => scalar(l.orderItemId)],
      ]),
    ),
    h(
      'section',
      { 'aria-labelledby': 'packages-title' },
      h('h2', { id: 'packages-title' }, 'Packages'),
      rowsOf(d.packages ?? [], [
        ['Tracking', (p) => h('code', {}, scalar(p.trackingNumber))],
        ['Carrier', (p) => scalar(p.carrierName ?? p.carrierCode)],
        ['Items', (p) => (p.items ?? []).map((i) => `${i.sellerSku} × ${i.quantity}`).join(', ')],
        ['Shipped', (p) => (p.shippedAt ? timeEl(p.shippedAt) : null)],
        ['State', (p) => h('span', { class: 'badge' }, scalar(p.state))],
        ['Confirmed', (p) => (p.confirmedAt ? timeEl(p.confirmedAt) : null)],
        ['Lag', (p) => (p.lagSeconds === null || p.lagSeconds === undefined ? null : formatDuration(p.lagSeconds))],
      ]),
    ),
    h(
      'section',
      { 'aria-labelledby': 'revisions-title' },
      h('h2', { id: 'revisions-title' }, 'Revisions'),
      rowsOf(d.revisions ?? [], [
        ['Revision', (r) => scalar(r.revision)],
        ['Purpose', (r) => scalar(r.purpose)],
        ['File', (r) => (r.fileMessageId ? h('a', { href: messageHref(r.fileMessageId) }, r.fileName ?? `message #${r.fileMessageId}`) : null)],
        ['Made', (r) => (r.createdAt ? timeEl(r.createdAt) : null)],
        ['Delivery', (r) => [scalar(r.delivery), r.deliveredAt ? [' ', timeEl(r.deliveredAt)] : null]],
        ['Acknowledgement', (r) => [scalar(r.acknowledgement), r.acknowledgedAt ? [' ', timeEl(r.acknowledgedAt)] : null]],
      ]),
    ),
  );
  root.dataset.loaded = 'true';
  return {};
}
