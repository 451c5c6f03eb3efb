/**
 * The inbound step over real parts (directory transport, SQLite, the emulator): completeness
 * (the second look a few seconds later in the same poll, a done-marker), files recognised by
 * their envelope, header or root, unknown documents kept and reported, a file taken again only
 * archived, a crash between taking and processing recovered on the next poll with each package
 * confirmed once, and a file whose processing fails kept for its retry without stopping the rest.
 */
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { jobHandlers } from '../../src/flows/index.ts';
import { pollPartnerFiles, retries } from '../../src/flows/inbound.ts';
import { OutboxWorker } from '../../src/gateway/worker.ts';
import { readReceivedX12 } from '../../src/tracking/acknowledgements.ts';
import type { Completeness } from '../../src/transport/inbound.ts';
import { root, startHarness, type Harness } from './harness.ts';

const RENO = 'reno-wms';
const CASCADE = 'cascade-csv';
const ACME_ORDER = '112-3456789-1234567';
const sample = (p: string) => readFileSync(join(root, 'samples/partners', p));
const drop = (h: Harness, partner: string, name: string, bytes: Buffer) => writeFileSync(join(h.partnerDir(partner, 'inbound'), name), bytes);
const drain = (h: Harness) => new OutboxWorker(h.ctx, { handlers: jobHandlers, random: () => 0 }).drain();
const fileNamed = (h: Harness, name: string) => h.store.list({ kind: 'file' }).find((m) => m.fileName === name && m.direction === 'in');

/** A 945 from Reno for acme's sample order, both lines in one package (its own interchange control number). */
function acme945(control: number): Buffer {
  const isa13 = String(control).padStart(9, '0');
  const set = ['ST*945*0001', `W06*F*${ACME_ORDER}**SHP0451`, 'G62*11*20261124*8*1405', 'W27*U*UPSN', 'LX*1', 'MAN*CP*1Z999AA10123456784', 'W12*CC*2*2**EA**VN*TS-RED-M', 'N9*LI*12345678901234', 'W12*CC*2*2**EA**VN*MUG-12-WHT', 'N9*LI*12345678901235', 'W12*CC*1*1**EA**VN*GIFT-BOX-S', 'N9*LI*12345678901235', 'W03*5'];
  const lines = [
    `ISA*00*          *00*          *ZZ*RENOWMS        *ZZ*ACME3PL        *261124*1622*U*00401*${isa13}*0*T*>~`,
    `GS*SW*RENOWMS*ACME3PL*20261124*1622*${control}*X*004010~`,
    ...set.map((s) => `${s}~`),
    `SE*${set.length + 1}*0001~`,
    `GE*1*${control}~`,
    `IEA*1*${isa13}~`,
  ];
  return Buffer.from(`${lines.join('\n')}\n`);
}

test('the second look comes settings.secondLookMs after the first, in the same poll; a file still growing between the looks waits for the next poll', async () => {
  const h = await startHarness({ settings: { secondLookMs: 3000 } });
  try {
    h.clock.set('2026-11-25T00:00:00Z');
    drop(h, RENO, '945-a.edi', acme945(901));
    const before = h.clock.now().getTime();
    const run = await pollPartnerFiles(h.ctx, RENO);
    assert.deepEqual([run.counts.taken, run.counts.waiting], [1, 0]);
    assert.equal(h.clock.now().getTime() - before, 3000, 'one second look, 3 s later, on the flow clock');
    assert.equal(fileNamed(h, '945-a.edi')?.status, 'processed');

    // The warehouse is still writing while we look: not taken now, taken on the next poll.
    const partial = acme945(902);
    const path = join(h.partnerDir(RENO, 'inbound'), '945-b.edi');
    writeFileSync(path, partial.subarray(0, 200));
    const clock = h.ctx.clock;
    h.ctx.clock = {
      now: () => clock.now(),
      sleep: async (ms) => {
        appendFileSync(path, partial.subarray(200));
        await clock.sleep(ms);
      },
    };
    const growing = await pollPartnerFiles(h.ctx, RENO);
    assert.deepEqual([growing.counts.taken, growing.counts.waiting], [0, 1]);
    assert.equal(fileNamed(h, '945-b.edi'), undefined, 'nothing recorded of a file still being written');
    h.ctx.clock = clock;
    const done = await pollPartnerFiles(h.ctx, RENO);
    assert.deepEqual([done.counts.taken, done.counts.waiting], [1, 0]);
    assert.equal((await h.store.blobs.read(fileNamed(h, '945-b.edi')!.blobSha256!)).length, partial.length);

    // Nothing in the directory: no second look is waited for.
    const idle = h.clock.now().getTime();
    await pollPartnerFiles(h.ctx, RENO);
    assert.equal(h.clock.now().getTime(), idle);
  } finally {
    await h.close();
  }
});

test('a partner with a done-marker rule: a file without its marker waits; with it, both are taken away', async () => {
  const h = await startHarness();
  try {
    // Said in the partner's transport (completeness: { mode: marker, suffix: .done }).
    (h.ctx.mappings.partners.get(CASCADE)!.transport as { completeness?: Completeness }).completeness = { mode: 'marker', suffix: '.done' };
    drop(h, CASCADE, 'inventory.csv', sample('cascade-csv/inventory.csv'));
    const first = await pollPartnerFiles(h.ctx, CASCADE);
    assert.deepEqual([first.counts.taken, first.counts.waiting], [0, 1]);
    drop(h, CASCADE, 'inventory.csv.done', Buffer.alloc(0));
    const second = await pollPartnerFiles(h.ctx, CASCADE);
    assert.deepEqual([second.counts.taken, second.counts.waiting], [1, 0]);
    assert.deepEqual(readdirSync(h.partnerDir(CASCADE, 'inbound')).filter((n) => !n.startsWith('.') && n !== 'processed'), []);
    assert.deepEqual(readdirSync(h.partnerDir(CASCADE, 'archive')).sort(), ['inventory.csv', 'inventory.csv.done']);
    // Recognised by its header as the inventory layout and handed to the inventory route; it names no buyer.
    const file = fileNamed(h, 'inventory.csv')!;
    const docs = await h.store.work.inbound.forFile(file.id);
    assert.ok(docs.length > 0);
    assert.ok(docs.every((d) => d.document === 'inventory'));
    assert.equal(file.containsPii, false);
  } finally {
    await h.close();
  }
});

/** A 943 (stock transfer shipment advice) from Reno: a valid set the partner's mapping does not read. */
const reno943 = (control: number) =>
  Buffer.from(
    [
      `ISA*00*          *00*          *ZZ*RENOWMS        *ZZ*ACME3PL        *261124*1710*U*00401*${String(control).padStart(9, '0')}*0*T*>~`,
      `GS*AR*RENOWMS*ACME3PL*20261124*1710*${control}*X*004010~`,
      'ST*943*0001~',
      'W06*N*DO12345*20261124*STX000812~',
      'N1*ST*RENO FULFILLMENT*92*RNO1~',
      'W27*M*UPSN~',
      'W04*5*EA**VN*TS-RED-M~',
      'W03*5~',
      'SE*7*0001~',
      `GE*1*${control}~`,
      `IEA*1*${String(control).padStart(9, '0')}~`,
      '',
    ].join('\n'),
    'latin1',
  );

// Receipts (944, receipts XML) have a route now (src/flows/removals.ts): what no route reads is a
// set the partner maps not, and a CSV or XML file no layout of the partner recognises.
test('documents no route reads (an X12 set the partner maps not, an unknown XML, an unknown CSV) are kept: recorded, the file held, an unknown-document exception per kind listing the files', async () => {
  const h = await startHarness();
  try {
    drop(h, RENO, '943-transfer.edi', reno943(77330));
    drop(h, CASCADE, 'returns.xml', Buffer.from('<?xml version="1.0"?>\n<Returns><Return rma="R-1"><Item>TS-RED-M</Item></Return></Returns>\n'));
    drop(h, CASCADE, 'returns.csv', Buffer.from('RMA,Item,Qty\nR-1,TS-RED-M,1\n'));
    const reno = await pollPartnerFiles(h.ctx, RENO);
    const cascade = await pollPartnerFiles(h.ctx, CASCADE);
    assert.deepEqual([reno.counts.held, cascade.counts.held, reno.failed + cascade.failed], [1, 2, 0]);
    for (const name of ['943-transfer.edi', 'returns.xml', 'returns.csv']) {
      const m = fileNamed(h, name)!;
      assert.equal(m.status, 'held', name);
      assert.equal(m.completedAt, null, `${name}: kept, waiting`);
      assert.ok(h.store.blobs.has(m.blobSha256!), `${name}: its bytes are kept`);
      assert.deepEqual((await h.store.work.inbound.forFile(m.id)).map((d) => d.state), ['unknown'], name);
    }
    // Taken off the partner's server only now that they are recorded and reported.
    assert.deepEqual(readdirSync(h.partnerDir(RENO, 'archive')), ['943-transfer.edi']);
    const unknown = await h.store.work.exceptions.list({ kind: 'unknown-document' });
    assert.deepEqual(unknown.map((x) => [x.partner, x.key]).sort(), [
      [CASCADE, 'unrecognised file'],
      [RENO, 'X12 943'],
    ]);
    // One kind, one exception: both of Cascade's unrecognised files in it.
    const flat = unknown.find((x) => x.partner === CASCADE)!;
    assert.deepEqual([flat.count, [...flat.refs].sort()], [2, [`file:${fileNamed(h, 'returns.csv')!.id}`, `file:${fileNamed(h, 'returns.xml')!.id}`].sort()]);
    const x943 = unknown.find((x) => x.key === 'X12 943')!;
    assert.deepEqual(x943.refs, [`file:${fileNamed(h, '943-transfer.edi')!.id}`]);
    assert.equal(x943.context.where, 'set 943 0001 (line 3)');
    // A second 943: the same exception, counted and listing both files.
    drop(h, RENO, '943-second.edi', reno943(77331));
    await pollPartnerFiles(h.ctx, RENO);
    const again = (await h.store.work.exceptions.get(x943.id))!;
    assert.equal(again.count, 2);
    assert.equal(again.refs.length, 2);
    // A retry while nothing reads 943s: still held, still open.
    await retries['unknown-document']!(h.ctx, again);
    assert.equal((await h.store.work.exceptions.get(x943.id))!.state, 'open');
    assert.equal(fileNamed(h, '943-transfer.edi')!.status, 'held');
  } finally {
    await h.close();
  }
});

test('a file taken again with the same name and bytes is only archived again; the same name with other bytes is a new file', async () => {
  const h = await startHarness();
  try {
    h.clock.set('2026-11-25T00:00:00Z');
    const bytes = acme945(911);
    drop(h, RENO, '945.edi', bytes);
    await pollPartnerFiles(h.ctx, RENO);
    // The archive step failed after recording (the file is back): archived again, nothing recorded twice.
    drop(h, RENO, '945.edi', bytes);
    const again = await pollPartnerFiles(h.ctx, RENO);
    assert.deepEqual([again.counts.again, again.counts.taken], [1, 0]);
    assert.equal(h.store.receivedFiles(RENO, '945.edi').length, 1);
    assert.equal(readdirSync(h.partnerDir(RENO, 'archive')).length, 2, 'both copies kept in the archive');
    // Reused name, other bytes: a file of its own (its interchange is another).
    drop(h, RENO, '945.edi', acme945(912));
    const other = await pollPartnerFiles(h.ctx, RENO);
    assert.equal(other.counts.taken, 1);
    assert.equal(h.store.receivedFiles(RENO, '945.edi').length, 2);
    assert.ok(h.logs.some((l) => l.event === 'inbound.name-reused'));
    await drain(h);
    // Same package (order + tracking number) in both: confirmed once.
    assert.equal(h.emulator.orders('acme').find((o) => o.orderId === ACME_ORDER)!.confirmations.length, 1);
    assert.equal(h.emulator.callLog({ operations: ['confirmShipment'] }).length, 1);
  } finally {
    await h.close();
  }
});

test('crash recovery: a file recorded as received but not processed (the gateway died) is processed on the next poll after a restart, and confirmed exactly once', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dockgate-crash-'));
  try {
    const bytes = acme945(921);
    const first = await startHarness({ dataDir });
    try {
      // What the inbound step had done when the process died: bytes stored, file recorded; the
      // remote file not yet archived, nothing processed.
      drop(first, RENO, '945-crash.edi', bytes);
      const blob = await first.store.blobs.putBuffer(bytes);
      await readReceivedX12(first.store, RENO, '945-crash.edi', blob);
      assert.equal(fileNamed(first, '945-crash.edi')!.status, 'received');
    } finally {
      await first.close();
    }
    const h = await startHarness({ dataDir });
    try {
      h.clock.set('2026-11-25T00:00:00Z');
      const run = await pollPartnerFiles(h.ctx, RENO);
      assert.deepEqual([run.counts.recovered, run.counts.processed, run.counts.again, run.counts.taken], [1, 1, 1, 0]);
      assert.equal(fileNamed(h, '945-crash.edi')!.status, 'processed');
      assert.equal(h.store.receivedFiles(RENO, '945-crash.edi').length, 1);
      assert.deepEqual(readdirSync(h.partnerDir(RENO, 'archive')), ['945-crash.edi']);
      await drain(h);
      // Polled, drained, and polled again: one confirmation, one 997.
      await pollPartnerFiles(h.ctx, RENO);
      await drain(h);
      const order = h.emulator.orders('acme').find((o) => o.orderId === ACME_ORDER)!;
      const [p] = await h.store.work.packages.forOrder('acme', ACME_ORDER);
      assert.deepEqual(order.confirmations.map((c) => c.packageReferenceId), [String(p.id)]);
      // One job, one call: not a second confirmation the emulator happened to refuse.
      assert.equal((await h.store.work.jobs.list({ kind: 'confirm-package' })).length, 1);
      assert.equal(h.emulator.callLog({ operations: ['confirmShipment'] }).length, 1);
      assert.equal(readdirSync(h.partnerDir(RENO, 'outbound')).filter((n) => n.includes('997')).length, 1);
    } finally {
      await h.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a file whose processing fails is failed with a file-failed exception, the others go on; the next polls try it again, three times in all; the exception\'s retry processes it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dockgate-failed-'));
  try {
    const h = await startHarness({ dataDir });
    try {
      h.clock.set('2026-11-25T00:00:00Z');
      // Two files left 'received' by a crash; the bytes of the first are unreadable (a disk problem).
      const a = acme945(931);
      const blobA = await h.store.blobs.putBuffer(a);
      const recA = await readReceivedX12(h.store, RENO, '945-lost.edi', blobA);
      const inv = sample('reno-wms/846-inventory.edi');
      await readReceivedX12(h.store, RENO, '846.edi', await h.store.blobs.putBuffer(inv));
      const path = (h.store.blobs as unknown as { pathOf(sha: string): string }).pathOf(blobA.sha256);
      renameSync(path, `${path}.aside`);
      const run = await pollPartnerFiles(h.ctx, RENO);
      assert.deepEqual([run.counts.recovered, run.counts.failed, run.failed], [2, 1, 1]);
      assert.equal(h.store.get(recA.messageId)!.status, 'failed');
      assert.notEqual(fileNamed(h, '846.edi')!.status, 'failed', 'the other file was processed');
      const [x] = await h.store.work.exceptions.list({ kind: 'file-failed' });
      assert.deepEqual([x.key, x.refs, x.context.file], [`file:${recA.messageId}`, [`file:${recA.messageId}`], { name: '945-lost.edi', messageId: recA.messageId }]);
      assert.match(x.message, /945-lost\.edi from reno-wms could not be processed: .*no stored file/);
      // The next polls take it up again, three failures in all; then only the exception's retry does.
      for (const expected of [1, 1, 0]) assert.equal((await pollPartnerFiles(h.ctx, RENO)).counts.recovered, expected);
      assert.equal((await h.store.work.exceptions.get(x.id))!.count, 3);
      assert.equal(h.store.get(recA.messageId)!.status, 'failed');
      renameSync(`${path}.aside`, path);
      const line = await retries['file-failed']!(h.ctx, (await h.store.work.exceptions.get(x.id))!);
      assert.match(line, /945-lost\.edi .*processed/);
      assert.equal(h.store.get(recA.messageId)!.status, 'processed');
      assert.equal((await h.store.work.exceptions.get(x.id))!.state, 'resolved');
      await drain(h);
      assert.equal(h.emulator.orders('acme').find((o) => o.orderId === ACME_ORDER)!.confirmations.length, 1);
    } finally {
      await h.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('an unreachable partner server is a partner-unavailable exception, resolved when it answers again', async () => {
  const h = await startHarness();
  try {
    const inbound = h.partnerDir(RENO, 'inbound');
    renameSync(inbound, `${inbound}.gone`);
    const down = await pollPartnerFiles(h.ctx, RENO);
    assert.equal(down.failed, 1);
    const [x] = await h.store.work.exceptions.list({ kind: 'partner-unavailable' });
    assert.equal(x.partner, RENO);
    renameSync(`${inbound}.gone`, inbound);
    const up = await pollPartnerFiles(h.ctx, RENO);
    assert.equal(up.failed, 0);
    assert.equal((await h.store.work.exceptions.get(x.id))!.state, 'resolved');
    assert.ok(existsSync(inbound));
  } finally {
    await h.close();
  }
});

test('X12 is read with the separators its ISA declares; a 997 received is settled and recorded as an acknowledgement document', async () => {
  const h = await startHarness();
  try {
    h.clock.set('2026-11-25T00:00:00Z');
    // Reno's 945 with | elements, ^ components and a newline-free ! terminator.
    const text = acme945(941).toString('latin1').replaceAll('*', '|').replaceAll('>~', '^!').replaceAll('~\n', '!');
    drop(h, RENO, '945-pipes.edi', Buffer.from(text, 'latin1'));
    const run = await pollPartnerFiles(h.ctx, RENO);
    assert.deepEqual([run.counts.processed, run.failed], [1, 0]);
    assert.deepEqual((await h.store.work.inbound.forFile(fileNamed(h, '945-pipes.edi')!.id)).map((d) => [d.document, d.key]), [['shipment-advice', ACME_ORDER]]);
    copyFileSync(join(root, 'samples/partners/reno-wms/997-ack.edi'), join(h.partnerDir(RENO, 'inbound'), '997.edi'));
    await pollPartnerFiles(h.ctx, RENO);
    assert.deepEqual((await h.store.work.inbound.forFile(fileNamed(h, '997.edi')!.id)).map((d) => [d.document, d.state]), [['acknowledgement', 'processed']]);
    assert.equal(fileNamed(h, '997.edi')!.status, 'processed');
  } finally {
    await h.close();
  }
});

test('an interchange from another sender than the partner (a misrouted file) is rejected, never routed as the partner\'s documents', async () => {
  const h = await startHarness();
  try {
    h.clock.set('2026-11-25T00:00:00Z');
    drop(h, RENO, '945-other.edi', Buffer.from(acme945(951).toString('latin1').replace('*ZZ*RENOWMS        *', '*ZZ*OTHERWMS       *'), 'latin1'));
    const run = await pollPartnerFiles(h.ctx, RENO);
    assert.deepEqual([run.counts.rejected, run.failed], [1, 0]);
    const [x] = await h.store.work.exceptions.list({ kind: 'partner-data-rejected' });
    assert.equal(x.context.where, 'line 1 ISA-06');
    assert.match(x.message, /ISA05\/06 is ZZ\/OTHERWMS, partner reno-wms sends as ZZ\/RENOWMS/);
    assert.deepEqual(await h.store.work.packages.forOrder('acme', ACME_ORDER), []);
    assert.deepEqual(await h.store.work.jobs.list({ kind: 'confirm-package' }), []);
  } finally {
    await h.close();
  }
});
