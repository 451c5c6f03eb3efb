/**
 * Returns: what Amazon said it sends back to the warehouse (removal orders from the removal
 * shipment report, customer returns with their license plates), each with what was expected and
 * what the warehouse's receipts posted against it; filters (seller, state, SKU, reference) kept in
 * the hash; the selected arrival's detail with its receipt postings and, while it is open, the
 * unmatched receipt lines whose exception names it among the best candidates (matched on the
 * exception's page or with `dockgate exceptions resolve ID --match REF`).
 */
import { dl, fill, h, timeEl } from '../dom.js';
import { enumOf, filterForm, sellerAndPartnerIds } from '../filters.js';
import { detailData, detailPanel, focusDetail, focusRow, followHash, idOf, listParts, markSelected, openOnRowClick, pagedList, panelHead, paramsOf, showDetailPanel, showRows, splitLayout } from '../list-page.js';
import { exceptionHref, messageHref, navigate } from '../route.js';

const FILTERS = ['seller', 'state', 'sku', 'reference'];
/** The store's states plus the API's "open" (the OpenAPI enum replaces this when declared). */
const STATES = ['open', 'expected', 'partially-received', 'received', 'over-received', 'cancelled'];
const OPEN = new Set(['expected', 'partially-received']);
export const ARRIVAL_STATE = {
  expected: ['○ expected', 'status-unknown'],
  'partially-received': ['◐ partially received', 'status-warn'],
  received: ['✓ received', 'status-ok'],
  'over-received': ['▲ over-received', 'status-critical'],
  cancelled: ['✖ cancelled', 'status-unknown'],
};
const SOURCE_TEXT = { removal: 'removal order', return: 'customer return' };
const DISPOSITION_CLASS = { sellable: 'status-ok', damaged: 'status-critical', quarantine: 'status-warn' };

export function arrivalStateBadge(state) {
  const [text, cls] = ARRIVAL_STATE[state] ?? [state, 'status-unknown'];
  return h('span', { class: ['badge', cls, 'arrival-state'], 'data-state': state }, text);
}

const code = (v) => (v ? h('code', {}, v) : h('span', { class: 'muted' }, '—'));

const filtersOf = (route) => paramsOf(route, FILTERS);

export async function render(root, route, app) {
  const state = { filters: filtersOf(route), selected: idOf(route) };

  const hashParams = (f, id) => ({ ...f, id: id ?? undefined });
  const form = filterForm(
    [
      { name: 'seller', label: 'Seller', anyLabel: 'any seller' },
      { name: 'state', label: 'State', options: STATES, anyLabel: 'any state' },
      { name: 'sku', label: 'SKU', type: 'text', placeholder: 'seller SKU' },
      { name: 'reference', label: 'Reference', type: 'text', placeholder: 'RMV-… or order id' },
    ],
    state.filters,
    (values) => navigate(['returns'], hashParams(values, state.selected), { replace: true }) || list.load(),
    { label: 'Return filters' },
  );
  Promise.all([enumOf('/removals', 'state'), sellerAndPartnerIds()]).then(([states, ids]) => {
    if (states.length) form.options('state', states);
    form.options('seller', ids.sellers);
  });

  const parts = listParts(() => list.load({ append: true }));
  const { count, tbody, listError, more } = parts;
  const list = pagedList({ app, path: '/removals', query: () => state.filters, listError, show: showList });
  const detail = detailPanel('arrival-detail');
  // What to act on first (which one, its state, how much is still to come), then how to recognise it.
  const COLUMNS = ['Arrival', 'Reference', 'State', 'Expected', 'Received', 'Source', 'SKU', 'LPN', 'Tracking', 'Seller', 'Shipped by Amazon'];

  fill(
    root,
    ...splitLayout({ title: 'Returns', subtitle: 'Removal orders and customer returns Amazon sends back', count, form: form.form, listError, label: 'Expected arrivals', tableClass: 'returns rows-clickable', caption: 'Expected arrivals, newest first', columns: COLUMNS, tbody, more, detail }),
  );

  function row(a) {
    const open = a.id === state.selected;
    const button = h('button', { type: 'button', class: 'row-open', 'aria-expanded': String(open), 'aria-controls': 'arrival-detail', 'data-id': String(a.id), 'aria-label': `Arrival #${a.id}, ${a.reference}` }, `#${a.id}`);
    button.addEventListener('click', () => {
      const opening = state.selected !== a.id;
      select(opening ? a.id : null, { focus: opening });
    });
    const tr = h(
      'tr',
      { 'data-id': String(a.id), 'data-state': a.state, 'data-source': a.source, 'data-reference': a.reference, class: open ? 'selected' : '' },
      h('th', { scope: 'row' }, button),
      h('td', {}, h('code', {}, a.reference)),
      h('td', {}, arrivalStateBadge(a.state)),
      h('td', { class: 'num' }, String(a.expected)),
      h('td', { class: 'num' }, String(a.received)),
      h('td', {}, SOURCE_TEXT[a.source] ?? a.source),
      h('td', {}, h('code', {}, a.sellerSku)),
      h('td', {}, code(a.lpn)),
      h('td', {}, code(a.trackingNumber), a.carrier ? h('span', { class: 'muted' }, ` ${a.carrier}`) : null),
      h('td', {}, a.seller),
      h('td', {}, timeEl(a.shippedAt)),
    );
    return openOnRowClick(tr, button);
  }

  function showList() {
    showRows({ root, parts, list, row, colspan: COLUMNS.length, empty: 'No removals or returns match these filters.', noun: 'arrival' });
  }

  function postingsTable(postings) {
    return h(
      'div',
      { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Receipt postings' },
      h(
        'table',
        { class: 'compact postings' },
        h('thead', {}, h('tr', {}, ['Receipt', 'Line', 'Warehouse', 'Quantity', 'Condition', 'Disposition', 'Matched by', 'Received', 'File'].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          postings.length
            ? postings.map((p) =>
                h(
                  'tr',
                  { 'data-posting': String(p.id), 'data-state': p.state },
                  h('td', {}, h('code', {}, p.receiptId)),
                  h('td', { class: 'num' }, String(p.line + 1)),
                  h('td', {}, p.partner),
                  h('td', { class: 'num' }, String(p.quantity)),
                  h('td', {}, p.condition),
                  h('td', {}, h('span', { class: ['badge', DISPOSITION_CLASS[p.disposition] ?? 'status-unknown'] }, p.disposition)),
                  h('td', {}, p.matchedBy ?? '—', p.exceptionId ? [' · ', h('a', { href: exceptionHref(p.exceptionId) }, `exception #${p.exceptionId}`)] : null),
                  h('td', {}, timeEl(p.at)),
                  h('td', {}, h('a', { href: messageHref(p.fileMessageId) }, `message #${p.fileMessageId}`)),
                ),
              )
            : h('tr', {}, h('td', { colspan: 9, class: 'empty' }, 'No receipt lines posted against it yet.')),
        ),
      ),
    );
  }

  /**
   * Unmatched receipt lines of the seller whose exception lists this arrival among its best
   * candidates: the way to a match by hand (the API's match takes the posting's id, which only
   * the exception's own file and line lead to, so the dashboard links there and says the command).
   */
  async function candidateLines(a) {
    if (!OPEN.has(a.state)) return null;
    let page;
    try {
      page = await app.api.get('/exceptions', { kind: 'receipt-unmatched', seller: a.seller, state: 'unresolved', limit: 200 });
    } catch (e) {
      return app.errorBox(e);
    }
    const naming = page.items.filter((x) => (x.context?.details?.candidates ?? []).some((c) => c.arrivalId === a.id));
    return h(
      'section',
      { 'aria-labelledby': 'arrival-candidates-title', class: 'candidates' },
      h('h3', { id: 'arrival-candidates-title' }, 'Unmatched receipt lines that may be this one'),
      naming.length
        ? h(
            'ul',
            { class: 'refs' },
            naming.map((x) => {
              const c = x.context.details.candidates.find((k) => k.arrivalId === a.id);
              return h(
                'li',
                { 'data-exception': String(x.id) },
                h('a', { href: exceptionHref(x.id) }, `exception #${x.id}`),
                ` · ${x.context.details.quantity ?? '?'} × ${x.context.details.sellerSku ?? x.context.details.warehouseItem ?? '?'} (${x.context.details.condition ?? '?'})`,
                c?.why?.length ? h('div', { class: 'muted' }, c.why.join('; ')) : null,
                h('div', {}, 'To match: ', h('code', { class: 'match-command' }, `dockgate exceptions resolve ${x.id} --match ${a.reference}`)),
              );
            }),
          )
        : h('p', { class: 'muted' }, 'No unmatched receipt line names it.'),
    );
  }

  async function showDetail({ focus = false } = {}) {
    if (state.selected === null) {
      detail.hidden = true;
      return;
    }
    const want = state.selected;
    const d = await detailData(app, detail, `/removals/${want}`, h('h2', { id: 'arrival-detail-title', tabindex: '-1' }, `Arrival #${want}`));
    if (d === null) return;
    const candidates = await candidateLines(d.arrival);
    if (state.selected !== want) return;
    const a = d.arrival;
    showDetailPanel(
      detail,
      { id: String(a.id), state: a.state },
      panelHead('arrival-detail-title', [`Arrival #${a.id} · `, h('code', {}, a.reference)], () => select(null, { focusRow: a.id })),
      dl([
        ['State', arrivalStateBadge(a.state)],
        ['Source', SOURCE_TEXT[a.source] ?? a.source],
        // A return's Amazon order is an FBA order: Dockgate never had it, so no link to the order view.
        [a.source === 'return' ? 'Amazon order' : 'Removal order', h('code', {}, a.reference)],
        ['Seller', a.seller],
        ['SKU', h('code', {}, a.sellerSku)],
        ['FNSKU', a.fnsku ? h('code', {}, a.fnsku) : null],
        ['LPN', a.lpn ? h('code', {}, a.lpn) : null],
        ['Carrier', a.carrier],
        ['Tracking', a.trackingNumber ? h('code', {}, a.trackingNumber) : null],
        ['Amazon’s disposition', a.disposition],
        ['Expected', String(a.expected)],
        ['Received', h('span', { class: 'received' }, `${a.received} of ${a.expected}`)],
        ['Shipped by Amazon', timeEl(a.shippedAt)],
        ['Reported', timeEl(a.createdAt)],
        ['Updated', timeEl(a.updatedAt)],
      ]),
      h('h3', {}, 'Receipt postings'),
      postingsTable(d.postings),
      candidates,
    );
    if (focus) focusDetail(detail);
  }

  function select(id, { focus = false, focusRow: rowId = null } = {}) {
    state.selected = id;
    navigate(['returns'], hashParams(state.filters, id), { replace: true });
    markSelected(tbody, 'id', (v) => Number(v) === id);
    showDetail({ focus });
    if (rowId !== null) focusRow(tbody, 'id', rowId);
  }

  await Promise.all([list.load(), showDetail()]);

  return {
    update: followHash(state, { names: FILTERS, filtersOf, selectionOf: idOf, form, list, showList, showDetail }),
    refresh: () => list.load(),
  };
}
