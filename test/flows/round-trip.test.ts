/**
 * The main path end to end on real parts: the local SP-API emulator through the real client,
 * the example mapping files, a directory transport, and the SQLite message store. Orders go
 * out as a 940; the warehouse's 945 and 846 come back and become shipment confirmations and
 * MFN quantities at Amazon.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AmazonTranslationError, confirmationsFromAdvice, shipOrderFromAmazon } from '../../src/amazon/codec.ts';
import { emptyReport, receiveAndConfirm, sendOrders } from '../../src/flows/order-to-confirmation.ts';
import { loadMappings } from '../../src/mapping/index.ts';
import { readPartner, translator } from '../../src/mapping/translate.ts';
import type { ShipmentAdvice, ShipOrder } from '../../src/model/index.ts';
import { openStore } from '../../src/store/index.ts';
import { DirectoryTransport } from '../../src/transport/directory.ts';
import { root, withEmulator } from '../amazon/helpers.ts';

const { mappings } = loadMappings(join(root, 'mappings'));

test('Amazon order -> 940 -> warehouse 945 and 846 -> confirmations and MFN quantities at Amazon', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dockgate-roundtrip-'));
  const store = await openStore({ dataDir: join(base, 'data') });
  try {
    for (const d of ['inbound', 'outbound']) mkdirSync(join(base, 'sftp', d), { recursive: true });
    const transport = new DirectoryTransport(join(base, 'sftp'));
    await withEmulator({}, async (emu, adapter) => {
      const ctx = { mappings, partnerId: 'reno-wms', sellerId: 'acme', amazon: adapter('acme'), transport, store, since: new Date('2026-11-01T00:00:00Z') };
      const report = emptyReport();
      await sendOrders(ctx, report);
      assert.deepEqual(report.ordersSent, ['112-3456789-1234567', '112-9999999-0000001']);
      assert.deepEqual(report.problems, []);
      // The warehouse's side: a 940 under the partner's file-name pattern, read as the warehouse would.
      const sent = readdirSync(join(base, 'sftp', 'inbound'));
      assert.equal(sent.length, 1);
      assert.match(sent[0], /^reno-wms_940_1_\d{8}T\d{6}Z\.edi$/);
      const back = await readPartner(translator(mappings, 'reno-wms', 'ship-order'), readFileSync(join(base, 'sftp', 'inbound', sent[0])), { seller: 'acme' });
      assert.deepEqual(back.documents.map((d) => [d.status, (d.document as ShipOrder).orderId, (d.document as ShipOrder).shipTo.city]), [['ok', '112-3456789-1234567', 'Seattle'], ['ok', '112-9999999-0000001', 'Montreal']]);
      const order = store.list({ kind: 'file' }).find((m) => m.fileName === sent[0])!;
      assert.equal(order.status, 'delivered');
      // Buyer names and addresses; Reno acknowledges (acks.required), so its 997 completes the file.
      assert.equal(order.containsPii, true);
      assert.equal(order.completedAt, null);
      assert.deepEqual(store.trace(order.id)!.children.map((c) => [c.kind, c.control]), [['interchange', '000000001']], 'recorded with its envelope, for the 997 to find');

      // The warehouse ships and counts, and writes its files.
      copyFileSync(join(root, 'samples/partners/reno-wms/945-shipment-advice.edi'), join(base, 'sftp', 'outbound', 'RENO_945_77301.edi'));
      copyFileSync(join(root, 'samples/partners/reno-wms/846-inventory.edi'), join(base, 'sftp', 'outbound', 'RENO_846_77290.edi'));
      await receiveAndConfirm(ctx, report);
      assert.deepEqual(report.filesTaken.sort(), ['RENO_846_77290.edi', 'RENO_945_77301.edi']);
      // The gift set's parts came in two boxes: one confirmation with both order items (note in the log, not an error).
      assert.deepEqual(report.confirmed, [{ orderId: '112-3456789-1234567', packageId: '1', trackingNumber: '1Z999AA10123456784', outcome: 'confirmed' }]);
      assert.equal(emu.seller('acme')!.orders.get('112-3456789-1234567')!.status, 'SHIPPED');
      assert.deepEqual(emu.seller('acme')!.orders.get('112-3456789-1234567')!.confirmations[0].items, [{ orderItemId: '12345678901234', quantity: 2 }, { orderItemId: '12345678901235', quantity: 1 }]);
      assert.deepEqual(report.quantities, [
        { sellerSku: 'TSHIRT-RED-M', quantity: 118, outcome: 'set' },
        { sellerSku: 'MUG-12OZ-WHT', quantity: 43, outcome: 'set' },
        { sellerSku: 'MUG-GIFT-SET', quantity: 22, outcome: 'set' },
        { sellerSku: 'SOCKS-6PK', quantity: 4, outcome: 'set' },
        { sellerSku: 'TSHIRT-RED-M-FBA', quantity: 0, outcome: 'not set (FbaListing)' },
      ]);
      assert.deepEqual(emu.seller('acme')!.listings.get('TSHIRT-RED-M')!.channels, [{ code: 'DEFAULT', quantity: 118 }]);
      // Recorded before archived: both files are in the store and in the archive, none left behind.
      assert.deepEqual(readdirSync(join(base, 'sftp', 'outbound')).filter((n) => !n.startsWith('archive')), []);
      assert.ok(existsSync(join(base, 'sftp', 'outbound', 'archive', 'RENO_945_77301.edi')));
      assert.equal(store.receivedFiles('reno-wms', 'RENO_945_77301.edi').length, 1);
      // Taken, translated, complete: the 945 names a buyer, the 846 none; retention counts from now.
      const [advice] = store.receivedFiles('reno-wms', 'RENO_945_77301.edi');
      const [inventory] = store.receivedFiles('reno-wms', 'RENO_846_77290.edi');
      assert.deepEqual([advice.status, advice.containsPii, !!advice.completedAt], ['processed', true, true]);
      assert.deepEqual([inventory.status, inventory.containsPii, !!inventory.completedAt], ['processed', false, true]);
      const purged = await store.purgeExpired(new Date(Date.now() + 31 * 86_400_000), { dryRun: true });
      assert.deepEqual(purged.files.map((f) => f.fileName), ['RENO_945_77301.edi'], 'the 940 waits for its 997; the 846 has no buyer data');
      // The northwind order in the same 945 belongs to another seller's run; nothing failed.
      assert.deepEqual(report.problems, []);
    });
  } finally {
    await store.close();
    rmSync(base, { recursive: true, force: true });
  }
});

test('Amazon shapes: an FBA or address-less order is not sent to a warehouse; a package without order item ids or carrier is not confirmed', () => {
  const seller = mappings.sellers.get('acme')!;
  const order = { orderId: '111-0000000-0000009', createdTime: 'x', lastUpdatedTime: 'x', salesChannel: { channelName: 'AMAZON' }, fulfillment: { fulfillmentStatus: 'SHIPPED', fulfilledBy: 'AMAZON' as const }, orderItems: [] };
  assert.throws(() => shipOrderFromAmazon(order, seller), (e: Error) => e instanceof AmazonTranslationError && /fulfilled by Amazon/.test(e.message));
  assert.throws(() => shipOrderFromAmazon({ ...order, fulfillment: { fulfillmentStatus: 'UNSHIPPED', fulfilledBy: 'MERCHANT' } }, seller), /no complete ship-to address/);
  const advice = { kind: 'ShipmentAdvice', orderId: '112-3456789-1234567', seller: 'acme', marketplaceId: 'ATVPDKIKX0DER', shippedAt: '2026-11-24T14:05:00-08:00', packages: [{ packageId: '1', trackingNumber: '1Z', amazonCarrier: { carrierCode: 'UPS' }, lines: [{ sellerSku: 'TSHIRT-RED-M', quantity: 1 }] }], lines: [] } as unknown as ShipmentAdvice;
  assert.throws(() => confirmationsFromAdvice(advice), /TSHIRT-RED-M has no Amazon order item id/);
  const ok = confirmationsFromAdvice({ ...advice, packages: [{ ...advice.packages[0], lines: [{ sellerSku: 'TSHIRT-RED-M', quantity: 1, orderItemId: '12345678901234' }] }] });
  assert.deepEqual(ok[0].package, { packageReferenceId: '1', carrierCode: 'UPS', trackingNumber: '1Z', shipDate: '2026-11-24T22:05:00Z', orderItems: [{ orderItemId: '12345678901234', quantity: 1 }] });
  assert.throws(() => confirmationsFromAdvice({ ...advice, packages: [{ ...advice.packages[0], amazonCarrier: undefined }] }), /no Amazon carrier code/);
});
