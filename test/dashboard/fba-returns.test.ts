/**
 * The FBA shipments and Returns pages in a real browser (Debian's headless chromium through
 * playwright-core) against a real gateway: `dockgate start` on the SP-API emulator with the
 * warehouse simulator playing reno-wms, as test/dashboard/dashboard.test.ts runs it.
 *
 * The seed's FBA15ABCD1234 (READY_TO_SHIP for acme) is polled by the gateway's fba task, sent to
 * reno-wms, shipped by the simulator in its boxes; the page shows the state the API has once the
 * shipment settled (its cartons checked against Amazon's boxes), filters by state and seller, and
 * its detail opens by keyboard with Amazon's boxes beside the cartons, the problems, the ship
 * order's delivery and acknowledgement and the exceptions naming it (linked to the queue).
 * The seed's removal RMV-5120-0042 and its customer return are pulled by the removals task; a 944
 * put down in reno-wms's directory posts 2 of the removal's 3 units (partially received) and
 * leaves a line unmatched whose exception names the removal among its candidates: the Returns
 * page shows both arrivals and their states, filters, and the removal's detail (opened by
 * keyboard) lists its posting and the unmatched line. Screenshots at laptop and tablet size.
 */
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { dashboardSession, skipWithoutChromium } from './browser.ts';
import { until } from './gateway.ts';

const skip = skipWithoutChromium();
const SHIPMENT = 'FBA15ABCD1234';
const REMOVAL = 'RMV-5120-0042';
const RETURN_ORDER = '111-0000000-0000009';
/** Where an FBA shipment rests once the warehouse shipped it: its cartons checked, Amazon told (or not). */
const SETTLED = ['mismatched', 'tracking-accepted', 'tracking-refused'];
const RECEIPT_FILE = 'RENO-WMS_944_DASHBOARD-RETURNS.edi';

const session = dashboardSession(skip);
const { signedIn, screenshots, noProblems } = session;

/** Tab until `selector` has the focus (the keyboard's own way there), then Enter. */
async function tabToAndEnter(page: Page, selector: string): Promise<void> {
  await until(
    `${selector} focused by Tab`,
    async () => {
      await page.keyboard.press('Tab');
      return page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector);
    },
    { everyMs: 0, timeoutMs: 20_000 },
  );
  await page.keyboard.press('Enter');
}

const badgeText = (page: Page, selector: string) => page.locator(selector).textContent().then((t) => (t ?? '').trim());

test('FBA shipments: the polled shipment is listed with its state; state and seller filters; the detail opens by keyboard with boxes beside cartons, problems, ship order and exceptions', { skip, timeout: 150_000 }, async () => {
  const settled = await until(
    `${SHIPMENT} shipped by the warehouse and checked`,
    async () => {
      const r = await session.gateway.api('GET', `/fba-shipments/acme/${SHIPMENT}`);
      // Its ship order's file picked up by the warehouse and acknowledged too: neither axis moves any more.
      const rev = r.body.shipOrder?.revisions[0];
      return r.status === 200 && SETTLED.includes(r.body.shipment.state) && rev?.delivery === 'picked-up' && rev.acknowledgement && rev.acknowledgement !== 'awaiting' ? r.body : null;
    },
    { timeoutMs: 120_000, everyMs: 1000 },
  );
  const s = settled.shipment;
  const page = await signedIn('fba', 'fba');
  assert.equal(await page.locator('nav a[data-page="fba"]').getAttribute('aria-current'), 'page');
  const row = page.locator(`table.fba tbody tr[data-key="acme/${SHIPMENT}"]`);
  await row.waitFor();
  assert.equal(await row.getAttribute('data-state'), s.state);
  const stateWords = s.state.replace('-', ' ');
  assert.match(await badgeText(page, `table.fba tr[data-key="acme/${SHIPMENT}"] .fba-state`), new RegExp(`^. ${stateWords}$`), 'the state in words with its mark');
  assert.match((await row.textContent())!, /reno-wms/);
  assert.match((await row.textContent())!, new RegExp(s.destinationFc));

  // Filters: state held shows none of it, its own state shows it again; the hash keeps them.
  await page.selectOption('#filter-state', 'held');
  await page.locator('table.fba td.empty').waitFor();
  assert.equal(await row.count(), 0);
  assert.match(await page.evaluate(() => location.hash), /state=held/);
  await page.selectOption('#filter-state', s.state);
  await row.waitFor();
  await page.selectOption('#filter-seller', 'northwind');
  await page.locator('table.fba td.empty').waitFor();
  assert.match((await page.locator('table.fba td.empty').textContent())!, /No FBA shipments match/);
  await page.selectOption('#filter-seller', 'acme');
  await row.waitFor();
  assert.match(await page.evaluate(() => location.hash), /seller=acme/);

  // The detail by keyboard: Tab to the row's button, Enter; the focus moves to the detail.
  await page.locator('#filter-partner').focus();
  await tabToAndEnter(page, `button.row-open[data-key="acme/${SHIPMENT}"]`);
  const detail = page.locator('#fba-detail:not([hidden])');
  await detail.locator('h2').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.matches('#fba-detail h2')), true, 'the focus moves to the opened detail');
  assert.equal(await page.locator('button.row-open[aria-expanded="true"]').count(), 1);
  assert.equal(await detail.getAttribute('data-state'), s.state);
  assert.equal(await detail.locator('.shipment-id').textContent(), SHIPMENT);
  assert.equal(await detail.locator('.destination-fc').textContent(), s.destinationFc);
  assert.match(await page.evaluate(() => location.hash), new RegExp(`id=acme%2F${SHIPMENT}`), 'the open shipment is in the hash');
  // Amazon's boxes beside the cartons: one row per box (plus any carton Amazon lacks), the pair's verdict in words.
  const boxRows = detail.locator('table.fba-boxes tbody tr');
  assert.ok((await boxRows.count()) >= s.boxes.length);
  for (const b of s.boxes) assert.equal(await detail.locator(`table.fba-boxes tr[data-box="${b.boxId}"]`).count(), 1, `box ${b.boxId} listed`);
  assert.match((await detail.locator('table.fba-boxes thead').textContent())!, new RegExp(`Cartons shipped \\(${s.shipped.cartons.length}\\)`));
  const marks = await detail.locator('table.fba-boxes td.pair-mark').allTextContents();
  assert.ok(marks.every((m) => /^(✓ same|✖ .+)$/.test(m)), `each pair says whether it matches: ${marks.join(' | ')}`);
  // The problems are the API's, line for line (a mismatched shipment has some, a matching one none).
  const problems = await detail.locator('ul.problems li').allTextContents();
  assert.deepEqual(problems, s.problems);
  if (s.state === 'mismatched') assert.ok(problems.length > 0 && marks.some((m) => m.startsWith('✖')), 'a mismatched shipment shows what differs');
  // Ship order: its file, delivery and acknowledgement as the API says.
  const rev = settled.shipOrder.revisions[0];
  const revRow = detail.locator(`table.revisions tr[data-revision="${rev.revision}"]`);
  assert.match((await revRow.locator('td.delivery').textContent())!, new RegExp(`^${rev.delivery}`));
  assert.match((await revRow.locator('td.acknowledgement').textContent())!, new RegExp(`^${rev.acknowledgement}`));
  assert.match((await detail.locator('.tracking-at').textContent())!, s.trackingAt ? /UTC/ : /not yet|refused/);
  // The exceptions naming it, each linked to the queue; the link opens that exception there.
  const links = detail.locator('.fba-exceptions a');
  assert.equal(await links.count(), settled.exceptions.length);
  await screenshots(page, 'fba');
  if (settled.exceptions.length) {
    const x = settled.exceptions[0];
    assert.equal(await links.first().getAttribute('href'), `#/exceptions?state=all&id=${x.id}`);
    await links.first().click();
    await page.locator(`#exception-detail[data-id="${x.id}"]`).waitFor();
    assert.match((await page.locator('#exception-detail').textContent())!, new RegExp(x.kind));
  }
  await noProblems(page, 'fba');
});

/** A 944 from reno-wms: 2 of the removal's units by its order id, and 1 under an order id and tracking Amazon never reported. */
function receipt944(): string {
  const segments = [
    'ST*944*0001',
    'W17*F*20261201*RCVDASH01',
    'N1*WH*RENO FULFILLMENT*92*RNO1',
    'G62*09*20261201*8*1000',
    'W07*2*EA**VN*TS-RED-M-FNSKU****01',
    `N9*RO*${REMOVAL}`,
    'W07*1*EA**VN*TS-RED-M-FNSKU****02',
    'N9*RO*RMV-5120-0099',
    'N9*2I*1Z999AA10187654329',
    'W14*3',
  ];
  const set = [...segments, `SE*${segments.length + 1}*0001`];
  return [
    'ISA*00*          *00*          *ZZ*RENOWMS        *ZZ*ACME3PL        *261201*1000*U*00401*000088801*0*T*>',
    'GS*RE*RENOWMS*ACME3PL*20261201*1000*88801*X*004010',
    ...set,
    'GE*1*88801',
    'IEA*1*000088801',
  ].join('~\n') + '~\n';
}

test('Returns: the removal and the customer return pulled from the reports, with their states; a receipt posts part of the removal and leaves a line unmatched; filters; the detail opens by keyboard with its postings and the unmatched line naming it', { skip, timeout: 150_000 }, async () => {
  await until('the removal and the return pulled', async () => {
    const r = await session.gateway.api('GET', '/removals?seller=acme');
    const refs = (r.body.items ?? []).map((a: { reference: string }) => a.reference);
    return refs.includes(REMOVAL) && refs.includes(RETURN_ORDER);
  }, { timeoutMs: 90_000, everyMs: 1000 });
  const dir = join(session.gateway.partnerRoot, 'reno-wms', 'outbound');
  writeFileSync(join(dir, `.${RECEIPT_FILE}.tmp`), receipt944(), 'latin1');
  renameSync(join(dir, `.${RECEIPT_FILE}.tmp`), join(dir, RECEIPT_FILE));
  const removal = await until(
    'the receipt posted against the removal',
    async () => {
      const r = await session.gateway.api('GET', `/removals?reference=${REMOVAL}`);
      const a = r.body.items?.[0];
      return a && a.received === 2 ? a : null;
    },
    { timeoutMs: 90_000, everyMs: 1000 },
  );
  assert.equal(removal.state, 'partially-received');
  const unmatched = await until('the unmatched line', async () => {
    const r = await session.gateway.api('GET', '/exceptions?kind=receipt-unmatched&seller=acme');
    return r.body.items?.find((x: { context: { details?: { receiptId?: string } } }) => x.context.details?.receiptId === 'RCVDASH01');
  });
  assert.ok(unmatched.context.details.candidates.some((c: { arrivalId: number }) => c.arrivalId === removal.id), 'the removal is among its candidates');

  const page = await signedIn('returns', 'returns');
  assert.equal(await page.locator('nav a[data-page="returns"]').getAttribute('aria-current'), 'page');
  const removalRow = page.locator(`table.returns tr[data-reference="${REMOVAL}"]`);
  const returnRow = page.locator(`table.returns tr[data-reference="${RETURN_ORDER}"]`);
  await removalRow.waitFor();
  await returnRow.waitFor();
  assert.equal(await removalRow.getAttribute('data-state'), 'partially-received');
  assert.equal(await removalRow.getAttribute('data-source'), 'removal');
  assert.equal(await removalRow.locator('.arrival-state').textContent(), '◐ partially received');
  assert.match((await removalRow.textContent())!, /removal order.*TSHIRT-RED-M-FBA.*1Z999AA10187654321/);
  assert.equal(await returnRow.getAttribute('data-source'), 'return');
  assert.equal(await returnRow.getAttribute('data-state'), 'expected');
  assert.match((await returnRow.textContent())!, /customer return.*LPN7770001234/);

  // Filters: a state, the API's "open", and a seller without returns.
  await page.selectOption('#filter-state', 'partially-received');
  await until('only the removal', async () => (await returnRow.count()) === 0 && (await removalRow.count()) === 1);
  await page.selectOption('#filter-state', 'received');
  await page.locator('table.returns td.empty').waitFor();
  await page.selectOption('#filter-state', 'open');
  await until('both open arrivals', async () => (await returnRow.count()) === 1 && (await removalRow.count()) === 1);
  await page.selectOption('#filter-seller', 'northwind');
  await page.locator('table.returns td.empty').waitFor();
  assert.match((await page.locator('table.returns td.empty').textContent())!, /No removals or returns match/);
  await page.selectOption('#filter-seller', 'acme');
  await removalRow.waitFor();
  assert.match(await page.evaluate(() => location.hash), /seller=acme&state=open/);

  // The removal's detail by keyboard.
  await page.locator('#filter-reference').focus();
  await tabToAndEnter(page, `button.row-open[data-id="${removal.id}"]`);
  const detail = page.locator('#arrival-detail:not([hidden])');
  await detail.locator('h2').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.matches('#arrival-detail h2')), true, 'the focus moves to the opened detail');
  assert.equal(await detail.getAttribute('data-state'), 'partially-received');
  assert.equal(await detail.locator('.received').textContent(), '2 of 3');
  const postings = detail.locator('table.postings tbody tr[data-posting]');
  assert.equal(await postings.count(), 1);
  assert.match((await postings.first().textContent())!, /RCVDASH01.*reno-wms.*2.*sellable.*removal-order/);
  const candidate = detail.locator(`.candidates li[data-exception="${unmatched.id}"]`);
  await candidate.waitFor();
  assert.equal(await candidate.locator('a').getAttribute('href'), `#/exceptions?state=all&id=${unmatched.id}`);
  assert.equal(await candidate.locator('.match-command').textContent(), `dockgate exceptions resolve ${unmatched.id} --match ${REMOVAL}`);
  await screenshots(page, 'returns');

  // Escape hatch back: Close returns the focus to the row's button.
  await detail.getByRole('button', { name: 'Close' }).click();
  assert.equal(await page.locator('#arrival-detail').isHidden(), true);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-id')), String(removal.id));
  await noProblems(page, 'returns');
});
