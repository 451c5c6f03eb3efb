/**
 * The dashboard in a real browser (Debian's headless chromium through playwright-core) against a
 * real gateway: `dockgate start --http-port 0` on the SP-API emulator with the warehouse
 * simulator playing reno-wms. One gateway and one browser for the whole file; each scenario
 * waits for page states (polling with generous limits), never for durations.
 *
 * Scenarios: sign-in (a refused token, then the form); the overview with figures and drawn
 * charts; an order with an unmapped SKU raising an exception that shows in the queue; the SKU
 * added to the (temporary) SKU table, mappings reloaded and Retry clicked in the page: the
 * exception leaves the queue and the order reaches the warehouse; a message's raw and parsed
 * views selecting the same segment, and a file with an error highlighting the same segments in
 * both; the keyboard reaching and opening the exception queue; the reconciliation sorting and
 * exporting its CSV; a read-only token without write buttons. Screenshots of each page at laptop
 * and tablet size go to test-output/screenshots/, and no page may scroll sideways at either.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { root } from '../flows/harness.ts';
import { dashboardSession, skipWithoutChromium } from './browser.ts';
import { until } from './gateway.ts';

const skip = skipWithoutChromium();
const UNMAPPED_SKU = 'DASH-CAP-BLUE';
const UNMAPPED_ORDER = '114-7000000-0000001';
const BAD_FILE = 'RENO-WMS_945_DASHBOARD-BAD.edi';

const session = dashboardSession(skip);
const { opened, signedIn, loaded, screenshots, noProblems } = session;

test('sign-in: a refused token shows the server\'s message; the form signs in and shows whoami name and access', { skip, timeout: 60_000 }, async () => {
  const { page, problems } = await session.browser.page();
  opened.push({ name: 'sign-in', problems });
  await page.goto(`${session.gateway.url}/dashboard/#token=not-a-token`);
  const refused = page.locator('#signin-error');
  await refused.waitFor();
  assert.match((await refused.textContent())!, /^Not signed in: .+/);
  assert.ok(!(await page.evaluate(() => location.href)).includes('not-a-token'), 'the token is wiped from the address bar');
  await screenshots(page, 'sign-in');
  await page.fill('#token', session.gateway.token);
  await page.keyboard.press('Enter');
  await page.locator('.who-name').waitFor();
  assert.equal(await page.locator('.who-name').textContent(), 'env');
  assert.match((await page.locator('#who').textContent())!, /read-write/);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('dockgate.token')), session.gateway.token);
  // The 401 the refused token got is a console error of the browser's own: expected here.
  problems.console = problems.console.filter((l) => !/401/.test(l));
  await noProblems(page, 'sign-in');
});

test('overview: the health metrics show figures with status words and thresholds, and their charts are drawn', { skip, timeout: 90_000 }, async () => {
  const page = await signedIn('overview');
  const cards = page.locator('article.card.metric');
  await until('the seven health metrics', async () => (await cards.count()) >= 7);
  // A figure: the exception backlog is a count the gateway knows from its first checks cycle.
  const backlog = page.locator('article[data-metric="exception-backlog"] .metric-value');
  assert.match((await backlog.textContent())!, /^\d+$/);
  for (const name of ['order-sync-latency-seconds', 'ack-sla-hit-rate', 'inventory-age-seconds', 'tracking-upload-lag-seconds', 'exception-backlog', 'spapi-calls', 'partner-connection-health']) {
    const card = page.locator(`article[data-metric="${name}"]`);
    assert.equal(await card.count(), 1, `a card for ${name}`);
    assert.match((await card.locator('.metric-status').textContent())!, /OK|Warning|Critical|Unknown/, `${name} says its status in words`);
    assert.match((await card.locator('.threshold').textContent())!, /Threshold|No threshold/);
  }
  // A chart drawn from samples: the health sampling of the checks cycle wrote at least one.
  await until(
    'a chart with samples',
    async () => {
      const drawn = await page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('article.card.metric .chart')].some((c) => Number(c.dataset.points) > 0 && [...c.querySelectorAll('canvas')].some((k) => k.width > 0 && k.height > 0)),
      );
      if (!drawn) await page.reload();
      return drawn;
    },
    { everyMs: 2000 },
  );
  // A refresh updates the cards in place: the same card and chart canvas, new figures (no flicker, focus kept).
  const before = await page.evaluate(() => {
    const card = document.querySelector<HTMLElement & { dashboardMark?: boolean }>('article[data-metric="exception-backlog"]')!;
    card.dashboardMark = true;
    return document.querySelector<HTMLElement>('.updated')!.dataset.refreshes;
  });
  const refresh = page.locator('button[data-action="refresh"]');
  await refresh.focus();
  await page.keyboard.press('Enter');
  await until('a refresh', async () => (await page.locator('.updated').getAttribute('data-refreshes')) !== before);
  assert.equal(await page.evaluate(() => (document.querySelector('article[data-metric="exception-backlog"]') as HTMLElement & { dashboardMark?: boolean }).dashboardMark), true, 'the card was updated, not rebuilt');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-action')), 'refresh', 'the focus stayed');
  // The flows with "run now" for a read-write token; its outcome is read out.
  const run = page.locator('tr[data-task="checks"] button');
  await run.waitFor();
  await run.click();
  await until('the run-now outcome', async () => /^checks(:| did not run)/.test((await page.locator('#live').textContent()) ?? ''));
  assert.ok((await page.locator('.backlog [data-testid="open-exceptions"]').textContent())!.match(/^\d+\+?$/));
  await screenshots(page, 'overview');
  await noProblems(page, 'overview');
});

test('exceptions: an order with a SKU missing from the seller\'s SKU table raises unmapped-sku, shown in the queue with its context; Assign takes an owner, Resolve wants a note', { skip, timeout: 90_000 }, async () => {
  const recipient = { name: 'Pat Lee', addressLine1: '9 Elm St', city: 'Portland', stateOrRegion: 'OR', postalCode: '97201', countryCode: 'US' };
  session.gateway.emulator.addOrder('acme', { orderId: UNMAPPED_ORDER, marketplaceId: 'ATVPDKIKX0DER', recipient, items: [{ orderItemId: '77700000000001', sellerSku: UNMAPPED_SKU, asin: 'B0ACME0099', quantity: 1 }] });
  const page = await signedIn('exceptions');
  await page.getByRole('link', { name: 'Exceptions' }).click();
  await page.locator('h1', { hasText: 'Exceptions' }).waitFor();
  const row = page.locator('tr[data-kind="unmapped-sku"]', { hasText: UNMAPPED_SKU });
  await until(
    'the unmapped-sku exception in the queue',
    async () => {
      await page.getByRole('button', { name: 'Apply' }).click();
      return (await row.count()) === 1;
    },
    { everyMs: 1000 },
  );
  assert.equal(await row.getAttribute('data-state'), 'open');
  assert.match((await row.textContent())!, /acme \/ reno-wms/);
  // Opened: its context and how to fix it.
  await row.locator('button.row-open').click();
  const detail = page.locator('#exception-detail');
  await detail.locator('.mapping-file').waitFor();
  assert.match((await detail.locator('.mapping-file').textContent())!, /tables\/acme-skus\.yaml/);
  assert.equal(await detail.locator('.mapping-key').textContent(), 'items');
  assert.ok((await detail.locator('.hint').textContent())!.length > 10, 'a hint');
  assert.ok((await detail.textContent())!.includes(UNMAPPED_ORDER), 'the held order among what it affects');
  assert.match(await page.evaluate(() => location.hash), /[?&]id=\d+/, 'the open exception is in the hash');
  // Assign: the server's outcome shown, the list updated with the owner.
  const outcome = detail.locator('#exception-outcome');
  await page.fill('#assign-owner', 'ops-anna');
  await detail.locator('button[data-action="assign"]').click();
  await until('the assign outcome', async () => /^✓ Exception #\d+ assigned to ops-anna\.$/.test((await outcome.textContent()) ?? ''));
  await until('the owner in the list', async () => /ops-anna/.test((await row.textContent()) ?? ''));
  // Resolve needs a note: without one nothing is sent and the page says why.
  await detail.locator('button[data-action="resolve"]').click();
  assert.match((await outcome.textContent())!, /A note is required/);
  assert.notEqual(await detail.getAttribute('data-state'), 'resolved');
  await screenshots(page, 'exceptions');
  await noProblems(page, 'exceptions');
});

test('exceptions: after the SKU is added to the SKU table, reload mappings and Retry in the page clear it and release the order to the warehouse', { skip, timeout: 90_000 }, async () => {
  const table = join(session.gateway.mappingsDir, 'tables/acme-skus.yaml');
  appendFileSync(table, `  - { sellerSku: ${UNMAPPED_SKU}, warehouseItem: TS-RED-M, asin: B0ACME0099 }\n`);
  await session.gateway.reloadWarehouse();
  const page = await signedIn('exceptions-retry', 'exceptions?state=unresolved&kind=unmapped-sku');
  const row = page.locator('tr[data-kind="unmapped-sku"]', { hasText: UNMAPPED_SKU });
  await row.waitFor();
  const id = await row.getAttribute('data-id');
  await row.locator('button.row-open').click();
  const detail = page.locator('#exception-detail');
  const outcome = detail.locator('#exception-outcome');
  await detail.locator('button[data-action="reload-mappings"]').click();
  await until('the reload outcome', async () => /Mappings reloaded at .* No problems\./.test((await outcome.textContent()) ?? ''));
  await detail.locator('button[data-action="retry"]').click();
  await until('the retry outcome', async () => new RegExp(`^✓ Retry #${id}: .+\\(now resolved\\)`).test((await outcome.textContent()) ?? ''));
  assert.match((await page.locator('#live').textContent())!, new RegExp(`Retry #${id}`), 'the outcome is read out');
  // The list updated after the action: the exception left the unresolved queue.
  await until('the row to leave the queue', async () => (await page.locator(`tr[data-id="${id}"]`).count()) === 0);
  assert.equal(await detail.getAttribute('data-state'), 'resolved');
  // The order went: the warehouse took it in a ship-order file.
  await until('the order at the warehouse', () => session.gateway.warehouseOrders.has(UNMAPPED_ORDER), { timeoutMs: 60_000 }).catch((e: Error) => {
    throw new Error(`${e.message}; the warehouse's problems: ${session.gateway.warehouseProblems.join('; ') || 'none'}`);
  });
  // And its timeline says so, from Amazon to the warehouse.
  await page.evaluate((h) => (location.hash = h), `#/orders/acme/${UNMAPPED_ORDER}`);
  await until(
    'the order view showing it sent',
    async () => {
      await page.reload();
      await loaded(page, 'order');
      return /✓ sent/.test((await page.locator('.flags').textContent()) ?? '');
    },
    { everyMs: 1000 },
  );
  assert.ok((await page.locator('ol.timeline li[data-stage="amazon"]').count()) >= 1);
  assert.ok((await page.locator('ol.timeline li[data-stage="sent"], ol.timeline li[data-stage="delivered"]').count()) >= 1, 'its way to the warehouse is on the timeline');
  await screenshots(page, 'order');
  await noProblems(page, 'exceptions-retry');
});

/** Index and tag of the selected segment in each pane. */
async function selected(page: Page): Promise<{ raw: [string | null, string | null]; parsed: [string | null, string | null] }> {
  const of = async (pane: string) => {
    const s = page.locator(`.${pane} button.seg.selected`);
    assert.equal(await s.count(), 1, `one selected segment in the ${pane} view`);
    return [await s.getAttribute('data-index'), await s.getAttribute('data-tag')] as [string | null, string | null];
  };
  return { raw: await of('raw'), parsed: await of('parsed') };
}

test("messages: a segment picked in the raw view is selected in the parsed view and back; a file's failing segments are the same in both; a CSV file's document selects its lines", { skip, timeout: 90_000 }, async () => {
  const page = await signedIn('message', 'messages?flow=orders&direction=out');
  const first = page.locator('table.messages tbody tr[data-id] a').first();
  await first.waitFor();
  await first.click();
  await page.locator('.raw button.seg').first().waitFor();
  // Raw -> parsed: the W05 (the order) of the first set.
  await page.locator('.raw button.seg[data-tag="W05"]').first().click();
  let s = await selected(page);
  assert.deepEqual(s.parsed, s.raw);
  assert.equal(s.raw[1], 'W05');
  const rawText = (await page.locator('.raw button.seg.selected .seg-text').textContent())!;
  assert.equal((await page.locator('.parsed button.seg.selected .seg-text').textContent())!, rawText, 'the same segment text in both');
  // Parsed -> raw: the last segment of the tree (IEA).
  await page.locator('.parsed button.seg').last().click();
  s = await selected(page);
  assert.deepEqual(s.raw, s.parsed);
  assert.equal(s.raw[1], 'IEA');
  assert.match(await page.evaluate(() => location.hash), new RegExp(`seg=${s.raw[0]}`));
  await screenshots(page, 'message');

  // A shipment advice with an invalid date in set 0002's G62: put down by the warehouse's side.
  const sample = readFileSync(join(root, 'samples/partners/reno-wms/945-shipment-advice.edi'), 'latin1')
    .replaceAll('77301', '99901')
    .replace('G62*11*20261124*8*1530~', 'G62*11*20261399*8*1530~');
  const dir = join(session.gateway.partnerRoot, 'reno-wms', 'outbound');
  writeFileSync(join(dir, `.${BAD_FILE}.tmp`), sample, 'latin1');
  renameSync(join(dir, `.${BAD_FILE}.tmp`), join(dir, BAD_FILE));
  const badId = await until('the bad file in the message log', async () => {
    const r = await session.gateway.api('GET', '/messages?direction=in&limit=1000');
    return (r.body.items as Array<{ id: number; fileName: string }>).find((m) => m.fileName === BAD_FILE)?.id;
  });
  await page.evaluate((h) => (location.hash = h), '#/messages?direction=in');
  const link = page.locator(`table.messages tr[data-id="${badId}"] a`).first();
  await until(
    'the bad file in the list',
    async () => {
      await page.getByRole('button', { name: 'Apply' }).click();
      return (await link.count()) === 1;
    },
    { everyMs: 1000 },
  );
  await link.click();
  await page.locator('.raw button.seg.failing').first().waitFor();
  const failing = async (pane: string) => page.locator(`.${pane} button.seg.failing`).evaluateAll((els) => els.map((e) => `${e.getAttribute('data-index')}:${e.getAttribute('data-tag')}:${e.querySelector('.seg-mark')?.textContent}`));
  const rawFailing = await failing('raw');
  assert.ok(rawFailing.some((f) => f.startsWith('26:G62:')), `the G62 (segment 26) is failing: ${rawFailing.join(', ')}`);
  assert.deepEqual(await failing('parsed'), rawFailing, 'the same failing segments, with the same tags, in both views');
  assert.ok(rawFailing.every((f) => f.endsWith(':⚠ error')), 'marked in words, not colour alone');
  // Opened on the first failing segment, selected in both.
  s = await selected(page);
  assert.deepEqual(s.parsed, s.raw);
  assert.ok(rawFailing.some((f) => f.startsWith(`${s.raw[0]}:`)));
  assert.ok((await page.locator('table.diagnostics tr.diag-error').count()) >= 1, 'its diagnostics listed');
  // A diagnostic's button selects its segment in both views.
  await page.locator('table.diagnostics button', { hasText: 'segment 26' }).first().click();
  s = await selected(page);
  assert.deepEqual([s.raw, s.parsed], [['26', 'G62'], ['26', 'G62']]);
  assert.ok((await page.locator('.badge.redacted').count()) === 1, 'redacted: the token may not see buyer data (the 945 names the buyer)');
  assert.ok(!(await page.locator('main').textContent())!.includes('JANE DOE'), 'no buyer name on the page');
  await screenshots(page, 'message-error');

  // A CSV file (cascade-csv's inventory count): its lines beside its translated documents; a
  // document's "where" selects its first line in the raw view.
  const csvDir = join(session.gateway.partnerRoot, 'cascade-csv', 'to_client');
  writeFileSync(join(csvDir, '.inventory-dashboard.csv.tmp'), readFileSync(join(root, 'samples/partners/cascade-csv/inventory.csv')));
  renameSync(join(csvDir, '.inventory-dashboard.csv.tmp'), join(csvDir, 'inventory-dashboard.csv'));
  const csvId = await until('the CSV file in the message log', async () => {
    const r = await session.gateway.api('GET', '/messages?partner=cascade-csv&limit=1000');
    return (r.body.items as Array<{ id: number; fileName: string }>).find((m) => m.fileName === 'inventory-dashboard.csv')?.id;
  });
  await page.evaluate((h) => (location.hash = h), `#/messages/${csvId}`);
  await loaded(page, 'message');
  assert.equal(await page.locator('.raw button.seg[data-line="1"] .seg-text').textContent(), readFileSync(join(root, 'samples/partners/cascade-csv/inventory.csv'), 'utf8').split(/\r?\n/)[0]);
  const where = page.locator('.parsed button[data-line-ref]').first();
  const firstLine = await where.getAttribute('data-line-ref');
  await where.click();
  assert.equal(await page.locator('.raw button.seg.selected').getAttribute('data-line'), firstLine);
  await screenshots(page, 'message-csv');
  await noProblems(page, 'message');
});

test('keyboard: Tab reaches the Exceptions link and Enter opens the queue; a row opens with Enter', { skip, timeout: 60_000 }, async () => {
  const page = await signedIn('keyboard');
  const focusedIs = (selector: string) => page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector);
  await until('the Exceptions link focused by Tab', async () => {
    await page.keyboard.press('Tab');
    return focusedIs('nav a[data-page="exceptions"]');
  }, { everyMs: 0, timeoutMs: 20_000 });
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  assert.notEqual(outline, 'none', 'the focus is visible');
  await page.keyboard.press('Enter');
  await page.locator('h1', { hasText: 'Exceptions' }).waitFor();
  assert.match(await page.evaluate(() => location.hash), /^#\/exceptions/);
  // Every state: the resolved unmapped-sku is there; Tab to its row button, Enter opens it.
  await page.selectOption('#filter-state', '');
  await page.locator('button.row-open').first().waitFor();
  await until('a row button focused by Tab', async () => {
    await page.keyboard.press('Tab');
    return focusedIs('button.row-open');
  }, { everyMs: 0, timeoutMs: 20_000 });
  await page.keyboard.press('Enter');
  await page.locator('#exception-detail:not([hidden]) h2').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.matches('#exception-detail h2')), true, 'the focus moves to the opened detail');
  assert.equal(await page.locator('button.row-open[aria-expanded="true"]').count(), 1);
  await noProblems(page, 'keyboard');
});

test('reconciliation: headers sort the by-SKU table (aria-sort) and Export CSV saves the report', { skip, timeout: 60_000 }, async () => {
  const page = await signedIn('reconciliation', 'reconciliation');
  const rows = page.locator('table.reconciliation tbody tr[data-sku]');
  await rows.first().waitFor();
  const column = (key: string) =>
    page.evaluate((k) => {
      const i = [...document.querySelectorAll('table.reconciliation thead th')].findIndex((th) => th.getAttribute('data-key') === k);
      return [...document.querySelectorAll('table.reconciliation tbody tr[data-sku]')].map((tr) => tr.children[i].textContent ?? '');
    }, key);
  const numbers = (cells: string[]) => cells.filter((c) => c !== '—').map((c) => Number(c.replaceAll(',', '')));
  const sorted = (xs: number[], dir: 1 | -1) => xs.every((x, i) => i === 0 || (x - xs[i - 1]) * dir >= 0);

  await page.locator('th[data-key="expected"] button').click();
  await until('ascending', async () => (await page.locator('th[data-key="expected"]').getAttribute('aria-sort')) === 'ascending');
  assert.ok(sorted(numbers(await column('expected')), 1), `ascending: ${(await column('expected')).join(' ')}`);
  assert.equal(await page.locator('th[data-key="sku"]').getAttribute('aria-sort'), 'none');
  await page.locator('th[data-key="expected"] button').click();
  await until('descending', async () => (await page.locator('th[data-key="expected"]').getAttribute('aria-sort')) === 'descending');
  assert.ok(sorted(numbers(await column('expected')), -1), `descending: ${(await column('expected')).join(' ')}`);
  assert.match(await page.evaluate(() => location.hash), /sort=expected&dir=desc/);
  await page.locator('th[data-key="sku"] button').click();
  await until('by SKU', async () => (await page.locator('th[data-key="sku"]').getAttribute('aria-sort')) === 'ascending');
  const skus = await column('sku');
  assert.deepEqual(skus, [...skus].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })));

  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('button[data-action="export-csv"]').click()]);
  const csv = readFileSync((await download.path())!, 'utf8');
  const lines = csv.trim().split(/\r?\n/);
  assert.match(lines[0], /sku/i);
  const report = await session.gateway.api('GET', '/reconciliation');
  assert.equal(lines.length - 1, report.body.rows.length, 'one CSV line per row of the report');
  assert.ok(lines.some((l) => l.includes('TSHIRT-RED-M')));
  assert.match(download.suggestedFilename(), /\.csv$/);
  await until('the export outcome', async () => /^Saved .+\.csv/.test((await page.locator('.export [aria-live]').textContent()) ?? ''));
  // Amazon's side (from the last reconciliation run) beside Dockgate's, and the orders reconciliation below, sortable too.
  for (const key of ['amazonQuantity', 'driftUnits', 'movedLast', 'amazonFulfillable']) assert.equal(await page.locator(`table.reconciliation th[data-key="${key}"]`).count(), 1, key);
  const orders = page.locator('table.reconciliation-orders');
  await orders.waitFor();
  await orders.locator('th[data-key="since"] button').click();
  await until('orders sorted by since', async () => (await orders.locator('th[data-key="since"]').getAttribute('aria-sort')) === 'ascending');
  const ordersReport = await session.gateway.api('GET', '/reconciliation/orders');
  assert.equal(await orders.locator('tbody tr[data-order]').count(), ordersReport.body.rows.length, 'one row per order of the last runs');
  assert.match((await page.locator('#orders-reconciliation + .toolbar').textContent()) ?? '', ordersReport.body.runs.length ? /run .* orders, \d+ stuck/ : /No orders reconciliation has run yet/);
  await screenshots(page, 'reconciliation');
  await noProblems(page, 'reconciliation');
});

test('read-only token: whoami says so, and no write button is shown (run now, assign, resolve, retry)', { skip, timeout: 60_000 }, async () => {
  const page = await signedIn('read-only', 'overview', { token: session.gateway.readOnlyToken });
  assert.equal(await page.locator('.who-name').textContent(), 'viewer');
  assert.match((await page.locator('#who').textContent())!, /read-only/);
  await page.locator('tr[data-task]').first().waitFor();
  assert.equal(await page.locator('tr[data-task] button').count(), 0, 'no run-now');
  await page.evaluate(() => (location.hash = '#/exceptions?state=all'));
  await page.locator('button.row-open').first().click();
  await page.locator('#exception-detail .hint').waitFor();
  assert.equal(await page.locator('#exception-detail button[data-action]').count(), 0, 'no assign, resolve, retry or reload');
  assert.match((await page.locator('#exception-detail').textContent())!, /Read-only token/);
  await screenshots(page, 'exceptions-read-only');
  await page.evaluate(() => (location.hash = '#/messages'));
  await page.locator('table.messages tbody tr[data-id]').first().waitFor();
  await screenshots(page, 'messages');
  await noProblems(page, 'read-only');
});
