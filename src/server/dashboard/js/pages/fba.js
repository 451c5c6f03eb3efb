/**
 * FBA shipments: the Amazon inbound shipments Dockgate sends to warehouses as fba-inbound ship
 * orders, with their state (held, sent, shipped, mismatched, tracking accepted or refused,
 * cancelled); filters (seller, state, warehouse) kept in the hash; the selected shipment's detail:
 * its Amazon Shipment ID, destination FC, Amazon's boxes beside the cartons the warehouse shipped,
 * the mismatch lines, the ship order's delivery and acknowledgement, when Amazon took the
 * tracking, and the exceptions that name it (linked to the exception queue).
 */
import { dl, fill, h, timeEl } from '../dom.js';
import { enumOf, filterForm, sellerAndPartnerIds } from '../filters.js';
import { detailData, detailPanel, focusDetail, focusRow, followHash, listParts, markSelected, openOnRowClick, pagedList, panelHead, paramsOf, showDetailPanel, showRows, splitLayout } from '../list-page.js';
import { exceptionHref, messageHref, navigate, orderHref } from '../route.js';

const FILTERS = ['seller', 'state', 'partner'];
/** The store's states (the OpenAPI enum replaces this when the document declares it). */
const STATES = ['held', 'sent', 'shipped', 'mismatched', 'tracking-accepted', 'tracking-refused', 'cancelled'];
/** Each state in words and a mark (never colour alone), and its colour class. */
export const FBA_STATE = {
  held: ['‖ held', 'status-critical'],
  sent: ['↑ sent', 'status-unknown'],
  shipped: ['▣ shipped', 'status-warn'],
  mismatched: ['✖ mismatched', 'status-critical'],
  'tracking-accepted': ['✓ tracking accepted', 'status-ok'],
  'tracking-refused': ['✖ tracking refused', 'status-critical'],
  cancelled: ['○ cancelled', 'status-unknown'],
};

export function fbaStateBadge(state) {
  const [text, cls] = FBA_STATE[state] ?? [state, 'status-unknown'];
  return h('span', { class: ['badge', cls, 'fba-state'], 'data-state': state }, text);
}

/** "acme/FBA15ABCD1234": the selected shipment in the hash (a seller id has no slash). */
const keyOf = (r) => `${r.seller}/${r.shipmentId}`;
function parseKey(v) {
  if (!v) return null;
  const i = v.indexOf('/');
  return i > 0 ? { seller: v.slice(0, i), shipmentId: v.slice(i + 1) } : null;
}

const filtersOf = (route) => paramsOf(route, FILTERS);

const contents = (list) => (list?.length ? list.map((i) => `${i.msku ?? i.sellerSku} × ${i.quantity}`).join(', ') : '—');
const code = (v) => (v ? h('code', {}, v) : h('span', { class: 'muted' }, '—'));

/**
 * Amazon's boxes beside the cartons shipped: paired by box id, else SSCC; cartons Amazon does
 * not have come after. The flow's own check (problems) says what is wrong; this shows both sides.
 */
function boxPairs(shipment) {
  const cartons = [...(shipment.shipped?.cartons ?? [])];
  const take = (pred) => {
    const i = cartons.findIndex(pred);
    return i < 0 ? null : cartons.splice(i, 1)[0];
  };
  const pairs = shipment.boxes.map((b) => ({ box: b, carton: take((c) => c.boxId && c.boxId === b.boxId) ?? take((c) => c.sscc && b.sscc && c.sscc === b.sscc) }));
  for (const c of cartons) pairs.push({ box: null, carton: c });
  return pairs;
}

function sameContents(box, carton) {
  const a = box.items.map((i) => `${i.msku}:${i.quantity}`).sort().join(',');
  const b = carton.contents.map((i) => `${i.sellerSku}:${i.quantity}`).sort().join(',');
  return a === b;
}

function pairMark(pair, shipped) {
  if (!shipped) return h('span', { class: 'muted' }, 'not shipped yet');
  if (!pair.carton) return h('span', { class: 'badge status-critical' }, '✖ not shipped');
  if (!pair.box) return h('span', { class: 'badge status-critical' }, '✖ not Amazon’s');
  const diffs = [];
  if (pair.box.sscc && pair.carton.sscc && pair.box.sscc !== pair.carton.sscc) diffs.push('SSCC');
  if (!sameContents(pair.box, pair.carton)) diffs.push('contents');
  return diffs.length ? h('span', { class: 'badge status-critical' }, `✖ ${diffs.join(', ')} differ`) : h('span', { class: 'badge status-ok' }, '✓ same');
}

function boxesTable(shipment) {
  const shipped = Boolean(shipment.shipped);
  const rows = boxPairs(shipment).map((p) =>
    h(
      'tr',
      { 'data-box': p.box?.boxId ?? p.carton?.boxId ?? p.carton?.sscc ?? '' },
      h('td', {}, code(p.box?.boxId)),
      h('td', {}, code(p.box?.sscc)),
      h('td', {}, p.box ? contents(p.box.items) : '—'),
      h('td', { class: 'pair-mark' }, pairMark(p, shipped)),
      h('td', {}, code(p.carton ? p.carton.boxId ?? p.carton.lpn : null)),
      h('td', {}, code(p.carton?.sscc)),
      h('td', {}, p.carton ? contents(p.carton.contents) : '—'),
      h('td', {}, code(p.carton?.trackingNumber)),
    ),
  );
  return h(
    'div',
    { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Amazon’s boxes and the cartons shipped' },
    h(
      'table',
      { class: 'compact fba-boxes' },
      h('caption', { class: 'visually-hidden' }, 'Amazon’s boxes (left) beside the cartons the warehouse shipped (right)'),
      h(
        'thead',
        {},
        h('tr', {}, h('th', { scope: 'colgroup', colspan: '3' }, `Amazon’s boxes (${shipment.boxes.length})`), h('th', { scope: 'col', rowspan: '2' }, 'Match'), h('th', { scope: 'colgroup', colspan: '4' }, `Cartons shipped (${shipment.shipped ? shipment.shipped.cartons.length : '—'})`)),
        h('tr', {}, ['Box id', 'SSCC', 'Contents', 'Box id / LPN', 'SSCC', 'Contents', 'Tracking'].map((c) => h('th', { scope: 'col' }, c))),
      ),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'Amazon lists no boxes.'))),
    ),
  );
}

function shipOrderPart(d) {
  const s = d.shipment;
  if (!d.shipOrder) return h('p', { class: 'muted ship-order' }, s.state === 'held' ? 'Not sent: held (nothing went to the warehouse).' : 'No ship order recorded.');
  const o = d.shipOrder.order;
  return h(
    'div',
    { class: 'ship-order' },
    dl([
      ['Order', h('a', { href: orderHref(o.seller, o.orderId) }, 'ship order ', h('code', {}, o.orderId))],
      ['Order state', h('span', { class: 'badge' }, o.state)],
      ['Sent', o.sent ? '✓ sent' : '○ not sent'],
      ['Acknowledgement', o.acknowledgement ?? (o.acknowledged ? 'acknowledged' : 'awaiting')],
      ['Held by', o.heldBy ? h('a', { href: exceptionHref(o.heldBy) }, `exception #${o.heldBy}`) : null],
    ]),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'compact revisions' },
        h('thead', {}, h('tr', {}, ['Revision', 'File', 'Delivery', 'Acknowledgement'].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          d.shipOrder.revisions.length
            ? d.shipOrder.revisions.map((r) =>
                h(
                  'tr',
                  { 'data-revision': String(r.revision) },
                  h('td', {}, `${r.revision} (${r.purpose})`),
                  h('td', { class: 'file' }, h('a', { href: messageHref(r.fileMessageId) }, r.fileName ?? `message #${r.fileMessageId}`)),
                  h('td', { class: 'delivery' }, r.delivery ?? '—', r.deliveredAt ? [' ', timeEl(r.deliveredAt)] : null),
                  h('td', { class: 'acknowledgement' }, r.acknowledgement ?? '—', r.acknowledgedAt ? [' ', timeEl(r.acknowledgedAt)] : null),
                ),
              )
            : h('tr', {}, h('td', { colspan: 4, class: 'empty' }, 'No file yet.')),
        ),
      ),
    ),
  );
}

export async function render(root, route, app) {
  const state = { filters: filtersOf(route), selected: parseKey(route.params.get('id')) };

  const hashParams = (f, sel) => ({ ...f, id: sel ? keyOf(sel) : undefined });
  const form = filterForm(
    [
      { name: 'seller', label: 'Seller', anyLabel: 'any seller' },
      { name: 'state', label: 'State', options: STATES, anyLabel: 'any state' },
      { name: 'partner', label: 'Warehouse', anyLabel: 'any warehouse' },
    ],
    state.filters,
    (values) => navigate(['fba'], hashParams(values, state.selected), { replace: true }) || list.load(),
    { label: 'FBA shipment filters' },
  );
  Promise.all([enumOf('/fba-shipments', 'state'), sellerAndPartnerIds()]).then(([states, ids]) => {
    if (states.length) form.options('state', states);
    form.options('seller', ids.sellers);
    form.options('partner', ids.partners);
  });

  const parts = listParts(() => list.load({ append: true }));
  const { count, tbody, listError, more } = parts;
  const list = pagedList({ app, path: '/fba-shipments', query: () => state.filters, listError, show: showList });
  const detail = detailPanel('fba-detail');
  // Which one and its state first (on a tablet the first columns are the ones in view).
  const COLUMNS = ['Shipment ID', 'State', 'Seller', 'Warehouse', 'FC', 'Boxes', 'Cartons shipped', 'Amazon status', 'Sent', 'Updated'];

  fill(
    root,
    ...splitLayout({ title: 'FBA shipments', count, form: form.form, listError, label: 'FBA shipments', tableClass: 'fba rows-clickable', caption: 'FBA shipments, most recently changed first', columns: COLUMNS, tbody, more, detail }),
  );

  const isSelected = (r) => state.selected !== null && state.selected.seller === r.seller && state.selected.shipmentId === r.shipmentId;

  function row(r) {
    const key = keyOf(r);
    const open = isSelected(r);
    const button = h('button', { type: 'button', class: 'row-open', 'aria-expanded': String(open), 'aria-controls': 'fba-detail', 'data-key': key }, r.shipmentId);
    button.addEventListener('click', () => {
      const opening = !isSelected(r);
      select(opening ? { seller: r.seller, shipmentId: r.shipmentId } : null, { focus: opening });
    });
    const tr = h(
      'tr',
      { 'data-key': key, 'data-state': r.state, 'data-seller': r.seller, class: open ? 'selected' : '' },
      h('th', { scope: 'row' }, button),
      h('td', {}, fbaStateBadge(r.state), r.problems.length ? h('span', { class: 'muted' }, ` ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`) : null),
      h('td', {}, r.seller),
      h('td', {}, r.partner),
      h('td', {}, h('code', {}, r.destinationFc)),
      h('td', { class: 'num' }, String(r.boxes.length)),
      h('td', { class: 'num' }, r.shipped ? String(r.shipped.cartons.length) : '—'),
      h('td', {}, r.amazonStatus),
      h('td', {}, timeEl(r.sentAt, { relative: true })),
      h('td', {}, timeEl(r.updatedAt, { relative: true })),
    );
    return openOnRowClick(tr, button);
  }

  function showList() {
    showRows({ root, parts, list, row, colspan: COLUMNS.length, empty: 'No FBA shipments match these filters.', noun: 'shipment', key: 'key' });
  }

  async function showDetail({ focus = false } = {}) {
    if (state.selected === null) {
      detail.hidden = true;
      return;
    }
    const want = state.selected;
    const d = await detailData(app, detail, `/fba-shipments/${encodeURIComponent(want.seller)}/${encodeURIComponent(want.shipmentId)}`, h('h2', { id: 'fba-detail-title', tabindex: '-1' }, `FBA shipment ${want.shipmentId}`));
    if (d === null) return;
    // Another row was opened meanwhile: its answer is the one to show.
    if (state.selected !== want) return;
    const s = d.shipment;
    const sh = s.shipped;
    showDetailPanel(
      detail,
      { key: keyOf(s), state: s.state },
      panelHead('fba-detail-title', ['FBA shipment ', h('code', {}, s.shipmentId)], () => select(null, { focusRow: keyOf(s) })),
      dl([
        ['Amazon Shipment ID', h('code', { class: 'shipment-id' }, s.shipmentId)],
        ['State', fbaStateBadge(s.state)],
        ['Seller', s.seller],
        ['Warehouse', s.partner],
        ['Destination FC', h('code', { class: 'destination-fc' }, s.destinationFc)],
        ['Amazon reference', s.amazonReferenceId ? h('code', {}, s.amazonReferenceId) : null],
        ['Amazon status', s.amazonStatus],
        ['Plan', [s.planName ?? '', ' ', h('code', { class: 'muted' }, s.inboundPlanId)]],
        ['Shipment (2024-03-20)', h('code', {}, s.amazonShipmentId)],
        ['Started by', s.source === 'manual' ? 'dockgate fba send' : 'Amazon poll'],
        ['Labels', s.labelsUrl ? h('a', { href: s.labelsUrl, rel: 'noreferrer noopener', target: '_blank' }, 'labels (PDF from Amazon)') : null],
        ['Sent to warehouse', timeEl(s.sentAt)],
        ['Shipped', timeEl(s.shippedAt)],
        ['Tracking at Amazon', s.trackingAt ? h('span', { class: 'tracking-at' }, timeEl(s.trackingAt)) : h('span', { class: 'muted tracking-at' }, s.state === 'tracking-refused' ? 'refused' : 'not yet')],
        ['BOL', sh?.bol ? h('code', {}, sh.bol) : null],
        ['PRO', sh?.proNumber ? h('code', {}, sh.proNumber) : null],
        ['Carrier', sh?.carrierScac ? h('code', {}, sh.carrierScac) : null],
        ['Shipment advice', sh ? h('a', { href: messageHref(sh.fileMessageId) }, `message #${sh.fileMessageId}`) : null],
        ['856 ASN sent', s.asnMessageId ? h('a', { href: messageHref(s.asnMessageId) }, `message #${s.asnMessageId}`) : null],
        ['Updated', timeEl(s.updatedAt)],
      ]),
      h('h3', {}, 'Problems'),
      s.problems.length ? h('ul', { class: 'problems' }, s.problems.map((p) => h('li', {}, p))) : h('p', { class: 'muted problems-none' }, 'None found.'),
      h('h3', {}, 'Boxes and cartons'),
      boxesTable(s),
      h('h3', {}, 'Ship order to the warehouse'),
      shipOrderPart(d),
      h('h3', {}, 'Exceptions'),
      d.exceptions.length
        ? h(
            'ul',
            { class: 'refs fba-exceptions' },
            d.exceptions.map((x) =>
              h('li', { 'data-id': String(x.id) }, h('a', { href: exceptionHref(x.id) }, `exception #${x.id}`), ' ', h('code', {}, x.kind), ' ', h('span', { class: ['badge', `state-${x.state}`] }, x.state), h('div', { class: 'muted exception-line' }, x.message)),
            ),
          )
        : h('p', { class: 'muted' }, 'None name this shipment.'),
    );
    if (focus) focusDetail(detail);
  }

  function select(sel, { focus = false, focusRow: rowKey = null } = {}) {
    state.selected = sel;
    navigate(['fba'], hashParams(state.filters, sel), { replace: true });
    markSelected(tbody, 'key', (k) => sel !== null && k === keyOf(sel));
    showDetail({ focus });
    if (rowKey !== null) focusRow(tbody, 'key', rowKey);
  }

  await Promise.all([list.load(), showDetail()]);

  return {
    update: followHash(state, { names: FILTERS, filtersOf, selectionOf: (r) => parseKey(r.params.get('id')), keyOf: (sel) => sel && keyOf(sel), form, list, showList, showDetail }),
    refresh: () => list.load(),
  };
}
