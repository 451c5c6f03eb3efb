/**
 * The by-SKU reconciliation: what the warehouse holds, what is in flight, what Dockgate expects
 * Amazon to show, what Amazon accepted and what it shows now (the last reconciliation run's
 * merchant listings report; FBA fulfillable beside it), which side moved last, per seller and
 * SKU. Below it the orders reconciliation of the last run: each order's step, since when, stuck
 * or not. Sorted by clicking a column header (aria-sort says how), filtered by status and seller
 * (both kept in the hash), exported as the API's own CSV (fetched with the token, saved through a
 * Blob link).
 */
import { ApiFailure } from '../api.js';
import { fill, formatNumber, h, timeEl } from '../dom.js';
import { enumOf, filterForm, sellerAndPartnerIds } from '../filters.js';
import { navigate } from '../route.js';

// What to act on first (status, expected, accepted, difference), then where the figures come from:
// on a tablet the first columns are the ones in view.
const COLUMNS = [
  ['seller', 'Seller', 'text'],
  ['sku', 'SKU', 'text'],
  ['status', 'Status', 'text'],
  ['expected', 'Expected', 'number'],
  ['amazonAccepted', 'Amazon accepted', 'number'],
  ['difference', 'Difference', 'number'],
  ['amazonQuantity', 'Amazon shows', 'number'],
  ['driftUnits', 'Drift', 'number'],
  ['movedLast', 'Moved last', 'text'],
  ['movedAt', 'Moved at', 'time'],
  ['amazonFulfillable', 'FBA fulfillable', 'number'],
  ['amazonCheckedAt', 'Amazon read at', 'time'],
  ['acceptedAt', 'Accepted at', 'time'],
  ['pending', 'Pending', 'number'],
  ['sellable', 'Sellable', 'number'],
  ['inFlight', 'In flight', 'number'],
  ['available', 'Available', 'number'],
  ['buffer', 'Buffer', 'number'],
  ['partner', 'Partner', 'text'],
  ['warehouseSku', 'Warehouse SKU', 'text'],
  ['channel', 'Channel', 'text'],
];
const STATUSES = ['ok', 'drift', 'not-published', 'fba', 'unmapped', 'stale'];
const STATUS_TEXT = { ok: '✓ ok', drift: '▲ drift', 'not-published': '○ not published', fba: 'FBA', unmapped: '✖ unmapped', stale: '⌛ stale' };
const STATUS_CLASS = { ok: 'status-ok', drift: 'status-warn', 'not-published': 'status-unknown', fba: 'status-unknown', unmapped: 'status-critical', stale: 'status-warn' };

const ORDER_COLUMNS = [
  ['orderId', 'Order', 'text'],
  ['stuck', 'Stuck', 'text'],
  ['step', 'Step', 'text'],
  ['since', 'Since', 'time'],
  ['dueAt', 'Due', 'time'],
  ['state', 'Dockgate state', 'text'],
  ['amazonStatus', 'Amazon', 'text'],
  ['partner', 'Partner', 'text'],
  ['reason', 'Why', 'text'],
];

/** A table whose headers sort it (aria-sort), for the orders reconciliation. */
function sortableTable(columns, cls, label, cell) {
  let sort = { key: columns[0][0], dir: 'asc' };
  let rows = [];
  const headRow = h('tr', {});
  const tbody = h('tbody', {});
  const headers = columns.map(([key, text]) => {
    const button = h('button', { type: 'button', class: 'sort', 'data-sort': key }, text, h('span', { class: 'sort-mark', 'aria-hidden': 'true' }));
    button.addEventListener('click', () => {
      sort = { key, dir: sort.key === key && sort.dir === 'asc' ? 'desc' : 'asc' };
      draw();
    });
    const th = h('th', { scope: 'col', 'data-key': key }, button);
    headRow.append(th);
    return { key, th, button };
  });
  function draw() {
    const type = columns.find(([k]) => k === sort.key)?.[2] ?? 'text';
    const sorted = [...rows].sort((a, b) => {
      const c = compare(a[sort.key], b[sort.key], type);
      return (sort.dir === 'desc' && a[sort.key] !== null && b[sort.key] !== null ? -c : c) || compare(a.orderId, b.orderId, 'text');
    });
    for (const { key, th, button } of headers) {
      const on = key === sort.key;
      th.setAttribute('aria-sort', on ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none');
      button.querySelector('.sort-mark').textContent = on ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : '';
    }
    fill(tbody, sorted.length === 0 ? h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, 'No orders in the last run.')) : null, sorted.map(cell));
  }
  const el = h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': label }, h('table', { class: cls }, h('caption', { class: 'visually-hidden' }, `${label}; column headers sort`), h('thead', {}, headRow), tbody));
  return {
    el,
    set(next) {
      rows = next;
      draw();
    },
  };
}

function compare(a, b, type) {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1; // empty last, whichever the direction
  if (b === null || b === undefined) return -1;
  if (type === 'number') return Number(a) - Number(b);
  return String(a).localeCompare(String(b), 'en', { numeric: true });
}

export async function render(root, route, app) {
  let params = { seller: route.params.get('seller') ?? '', status: route.params.get('status') ?? '' };
  let sort = { key: route.params.get('sort') ?? 'sku', dir: route.params.get('dir') === 'desc' ? 'desc' : 'asc' };
  let report = null;
  let loadedSeller = null;

  const hashParams = () => ({ ...params, sort: sort.key === 'sku' && sort.dir === 'asc' ? undefined : sort.key, dir: sort.dir === 'desc' ? 'desc' : undefined });
  const form = filterForm(
    [
      { name: 'seller', label: 'Seller', anyLabel: 'every seller' },
      { name: 'status', label: 'Status', options: STATUSES, anyLabel: 'any status' },
    ],
    params,
    (values) => {
      params = values;
      if (!navigate(['reconciliation'], hashParams(), { replace: true })) load();
    },
    { label: 'Reconciliation filters' },
  );
  sellerAndPartnerIds().then((ids) => form.options('seller', ids.sellers));
  enumOf('/reconciliation', 'status').then((values) => values.length && form.options('status', values));

  const generated = h('p', { class: 'muted' });
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const listError = h('div', {});
  const headRow = h('tr', {});
  const tbody = h('tbody', {});
  const exportButton = h('button', { type: 'button', class: 'small', 'data-action': 'export-csv' }, 'Export CSV');
  const exportOutcome = h('span', { class: 'muted', 'aria-live': 'polite' });
  exportButton.addEventListener('click', async () => {
    exportButton.disabled = true;
    try {
      const r = await app.api.download('/reconciliation.csv', { seller: params.seller || undefined }, 'reconciliation.csv');
      const text = `Saved ${r.name} (${formatNumber(r.bytes)} bytes).`;
      exportOutcome.textContent = text;
      app.announce(text);
    } catch (e) {
      const text = `Export failed: ${e instanceof ApiFailure ? e.message : String(e.message ?? e)}`;
      exportOutcome.textContent = text;
      app.announce(text);
    } finally {
      exportButton.disabled = false;
    }
  });

  const headers = COLUMNS.map(([key, label]) => {
    const button = h('button', { type: 'button', class: 'sort', 'data-sort': key }, label, h('span', { class: 'sort-mark', 'aria-hidden': 'true' }));
    button.addEventListener('click', () => {
      sort = { key, dir: sort.key === key && sort.dir === 'asc' ? 'desc' : 'asc' };
      navigate(['reconciliation'], hashParams(), { replace: true });
    });
    const th = h('th', { scope: 'col', 'data-key': key }, button);
    headRow.append(th);
    return { key, th, button };
  });

  // The orders reconciliation: the last run of each seller, stuck orders first.
  const ordersRuns = h('p', { class: 'muted', 'aria-live': 'polite' });
  const ordersError = h('div', {});
  const ordersExport = h('button', { type: 'button', class: 'small', 'data-action': 'export-orders-csv' }, 'Export orders CSV');
  const ordersOutcome = h('span', { class: 'muted', 'aria-live': 'polite' });
  ordersExport.addEventListener('click', async () => {
    ordersExport.disabled = true;
    try {
      const r = await app.api.download('/reconciliation/orders.csv', { seller: params.seller || undefined }, 'reconciliation-orders.csv');
      ordersOutcome.textContent = `Saved ${r.name} (${formatNumber(r.bytes)} bytes).`;
      app.announce(ordersOutcome.textContent);
    } catch (e) {
      ordersOutcome.textContent = `Export failed: ${e instanceof ApiFailure ? e.message : String(e.message ?? e)}`;
      app.announce(ordersOutcome.textContent);
    } finally {
      ordersExport.disabled = false;
    }
  });
  const ordersTable = sortableTable(ORDER_COLUMNS, 'reconciliation-orders', 'Orders reconciliation', (r) =>
    h(
      'tr',
      { 'data-order': r.orderId, 'data-step': r.step, 'data-stuck': String(r.stuck) },
      ORDER_COLUMNS.map(([key, , t]) => {
        const v = r[key];
        if (key === 'orderId') return h('th', { scope: 'row' }, h('code', {}, v));
        if (key === 'stuck') return h('td', {}, v ? h('span', { class: ['badge', 'status-warn'] }, '▲ stuck') : h('span', { class: ['badge', 'status-ok'] }, '✓ on time'));
        if (key === 'state') return h('td', {}, v ?? 'never seen');
        if (t === 'time') return h('td', {}, v ? timeEl(v) : '—');
        return h('td', {}, v ?? '—');
      }),
    ),
  );
  async function loadOrders() {
    try {
      const r = await app.api.get('/reconciliation/orders', { seller: params.seller || undefined });
      ordersTable.set(r.rows.map((x) => ({ ...x, stuck: x.stuck })));
      ordersRuns.textContent = r.runs.length
        ? r.runs.map((x) => `${x.seller}: run ${new Date(x.runAt).toISOString().replace('T', ' ').slice(0, 16)} UTC, ${x.counts.orders ?? 0} orders, ${x.counts.stuck ?? 0} stuck`).join('; ')
        : 'No orders reconciliation has run yet (dockgate reconcile orders, or the daily reconcile task).';
      fill(ordersError);
    } catch (e) {
      fill(ordersError, app.errorBox(e));
    }
  }

  fill(
    root,
    h('div', { class: 'page-head' }, h('h1', {}, 'Reconciliation'), generated),
    h('div', { class: 'toolbar' }, form.form, h('div', { class: 'export' }, exportButton, ' ', exportOutcome)),
    listError,
    count,
    h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Reconciliation by SKU' }, h('table', { class: 'reconciliation' }, h('caption', { class: 'visually-hidden' }, 'Reconciliation by seller and SKU; column headers sort'), h('thead', {}, headRow), tbody)),
    h('h2', { id: 'orders-reconciliation' }, 'Orders'),
    h('div', { class: 'toolbar' }, ordersRuns, h('div', { class: 'orders-export' }, ordersExport, ' ', ordersOutcome)),
    ordersError,
    ordersTable.el,
  );

  function show() {
    if (!report) return;
    const type = COLUMNS.find(([k]) => k === sort.key)?.[2] ?? 'text';
    const rows = report.rows.filter((r) => !params.status || r.status === params.status);
    rows.sort((a, b) => {
      const c = compare(a[sort.key], b[sort.key], type);
      const tie = compare(a.seller, b.seller, 'text') || compare(a.sku, b.sku, 'text');
      return (sort.dir === 'desc' && a[sort.key] !== null && b[sort.key] !== null ? -c : c) || tie;
    });
    for (const { key, th, button } of headers) {
      const on = key === sort.key;
      th.setAttribute('aria-sort', on ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none');
      button.querySelector('.sort-mark').textContent = on ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : '';
    }
    fill(
      tbody,
      rows.length === 0 ? h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'empty' }, 'No rows match.')) : null,
      rows.map((r) =>
        h(
          'tr',
          { 'data-sku': r.sku, 'data-status': r.status },
          COLUMNS.map(([key, , t]) => {
            const v = r[key];
            if (key === 'sku') return h('th', { scope: 'row' }, h('code', {}, v));
            if (key === 'status') return h('td', {}, h('span', { class: ['badge', STATUS_CLASS[v] ?? ''] }, STATUS_TEXT[v] ?? v));
            if (t === 'time') return h('td', {}, v ? timeEl(v) : '—');
            if (t === 'number') return h('td', { class: ['num', key === 'difference' && v ? 'diff' : ''] }, v === null || v === undefined ? '—' : formatNumber(v));
            return h('td', {}, v ?? '—');
          }),
        ),
      ),
    );
    count.textContent = `${rows.length} of ${report.rows.length} rows`;
    generated.textContent = `Generated ${report.generatedAt ? new Date(report.generatedAt).toISOString().replace('T', ' ').slice(0, 19) : ''} UTC`;
    root.dataset.loaded = 'true';
  }

  async function load() {
    try {
      const seller = params.seller;
      report = await app.api.get('/reconciliation', { seller: seller || undefined });
      loadedSeller = seller;
      fill(listError);
      show();
      await loadOrders();
    } catch (e) {
      fill(listError, app.errorBox(e));
    }
  }

  await load();
  return {
    async update(r) {
      const seller = r.params.get('seller') ?? '';
      params = { seller, status: r.params.get('status') ?? '' };
      sort = { key: r.params.get('sort') ?? 'sku', dir: r.params.get('dir') === 'desc' ? 'desc' : 'asc' };
      form.set(params);
      if (!report || seller !== loadedSeller) await load();
      else show();
    },
    refresh: () => load(),
  };
}
