/**
 * Retention as the flows and the CLI record: every stored file that can carry buyer data is
 * marked so, completed when nothing more waits on it, purged on schedule with what the log quotes
 * of it; leftovers of dead writers go when a store is opened for writing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { documentsCarryBuyerData, x12CarriesBuyerData } from '../../src/store/buyer-data.ts';
import { openStore } from '../../src/store/index.ts';
import { validateFile } from '../../src/x12/validate-file.ts';
import { advice945, dockgate, sample, withControl } from './fixtures/x12.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'dockgate-retention-'));
const DAY = 86_400_000;

/** Every byte the database keeps, WAL included: text a purge redacted must be in none of them. */
function databaseBytes(dataDir: string): Buffer {
  return Buffer.concat(readdirSync(dataDir).filter((f) => f.startsWith('dockgate.sqlite')).map((f) => readFileSync(join(dataDir, f))));
}

/** Hostile buyer names: too long for N1-02 (so that the diagnostics quote them), odd characters. */
function buyerNames(n: number): string[] {
  const leads = ['ZQX', 'Ωmega ', 'O\'BRIEN-', 'JOSÉ ', '=CMD|', '李'];
  return Array.from({ length: n }, (_, i) => `${leads[i % leads.length]}${randomBytes(8).toString('hex').toUpperCase()} ${'A'.repeat(50 + i)}`);
}

test('buyer data by document type: X12 sets and mapping documents; unknown or unreadable means it may carry some', async () => {
  const read = (x12: string) => validateFile(Buffer.from(x12, 'latin1'));
  for (const carries of ['acme-940-orders.edi', 'acme-945-shipment-advice.edi', 'acme-856-fba-asn.edi']) assert.equal(x12CarriesBuyerData(await read(sample(carries))), true, carries);
  for (const none of ['acme-846-inventory.edi', 'acme-944-receipt.edi', 'acme-997-from-warehouse.edi']) assert.equal(x12CarriesBuyerData(await read(sample(none))), false, none);
  // One set that may carry buyer data among others that do not: the file does.
  assert.equal(x12CarriesBuyerData(await read(sample('acme-846-inventory.edi') + sample('acme-945-shipment-advice.edi'))), true);
  // Sets nobody listed, a file that is not X12, an empty one, junk after a clean 846.
  for (const unknown of ['850', '810', '204', '123', '9X9']) {
    assert.equal(x12CarriesBuyerData(await read(sample('acme-846-inventory.edi').replace('ST*846*', `ST*${unknown}*`))), true, unknown);
  }
  assert.equal(x12CarriesBuyerData(await read('name,address\nJane Doe,123 Main St\n')), true);
  assert.equal(x12CarriesBuyerData(await read('')), true);
  assert.equal(x12CarriesBuyerData(await read(`${sample('acme-846-inventory.edi')}N1*ST*JANE DOE~`)), true);
  assert.equal(documentsCarryBuyerData(['inventory']), false);
  assert.equal(documentsCarryBuyerData(['receipt', 'acknowledgement']), false);
  for (const docs of [['ship-order'], ['shipment-advice'], ['inbound-asn'], ['inventory', 'shipment-advice'], [], ['something-new']]) assert.equal(documentsCarryBuyerData(docs), true, docs.join());
});

test('x12 validate --record: files with buyer data are flagged and purged after the period, with every quote of the buyer in the log', () => {
  const dataDir = join(dir(), 'data');
  const files = dir();
  const names = buyerNames(6);
  names.forEach((name, i) => writeFileSync(join(files, `945-${i}.edi`), advice945(name, 500 + i)));
  writeFileSync(join(files, '846.edi'), withControl(sample('acme-846-inventory.edi'), 499));
  const r = dockgate(['x12', 'validate', '--record', join(files, '846.edi'), ...names.map((_, i) => join(files, `945-${i}.edi`))], { DOCKGATE_DATA_DIR: dataDir });
  assert.equal(r.code, 1, 'the names are too long for N1-02');
  let store = openStore({ dataDir, readOnly: true });
  const recorded = store.list({ kind: 'file', limit: 50 });
  assert.equal(recorded.length, 7);
  for (const m of recorded) {
    assert.ok(m.completedAt, 'a validated file needs nothing more');
    assert.equal(m.containsPii, !m.fileName!.endsWith('846.edi'), m.fileName!);
  }
  const sha = new Map(recorded.map((m) => [m.fileName!, m.blobSha256!]));
  store.close();
  // The quotes are really there before, so that their absence after means something.
  const before = databaseBytes(dataDir);
  for (const name of names) assert.ok(before.includes(Buffer.from(name.slice(0, 20))), `diagnostics quote ${name.slice(0, 20)}`);

  const soon = dockgate(['store', 'purge', '--json'], { DOCKGATE_DATA_DIR: dataDir });
  assert.equal(soon.code, 0, soon.err);
  assert.deepEqual(JSON.parse(soon.out).files, [], 'nothing expired yet');
  const later = new Date(Date.now() + 31 * DAY).toISOString();
  const purged = dockgate(['store', 'purge', '--now', later, '--json'], { DOCKGATE_DATA_DIR: dataDir });
  assert.equal(purged.code, 0, purged.err);
  const report = JSON.parse(purged.out);
  assert.equal(report.dryRun, false);
  assert.deepEqual(report.files.map((f: { fileName: string }) => f.fileName).sort(), names.map((_, i) => join(files, `945-${i}.edi`)).sort());
  store = openStore({ dataDir });
  assert.ok(store.blobs.has(sha.get(join(files, '846.edi'))!), 'no buyer data: kept');
  for (const [file, blob] of sha) if (!file.endsWith('846.edi')) assert.ok(!store.blobs.has(blob), `${file}: bytes purged`);
  // Counts and history stay; the excerpts and recorded reasons do not, in the file or under it.
  const tree = store.list({ limit: 500 }).filter((m) => m.containsPii);
  assert.ok(tree.length > 7);
  for (const m of tree) {
    if (m.diagnostics) assert.deepEqual(m.diagnostics.first, []);
    if (m.kind === 'file') assert.ok(m.diagnostics!.errors > 0 && m.diagnostics!.redacted);
  }
  store.close();
  const after = databaseBytes(dataDir);
  for (const name of names) assert.ok(!after.includes(Buffer.from(name.slice(0, 20))), `${name.slice(0, 20)} is gone from the database files`);
});

test('store purge --dry-run lists what would go and changes nothing; --now is a date, and the help says it deletes', () => {
  const dataDir = join(dir(), 'data');
  const files = dir();
  writeFileSync(join(files, '945.edi'), advice945('JANE ROE', 700));
  assert.equal(dockgate(['x12', 'validate', '--record', join(files, '945.edi')], { DOCKGATE_DATA_DIR: dataDir }).code, 0);
  const later = new Date(Date.now() + 40 * DAY).toISOString().slice(0, 10);
  const bytesBefore = readFileSync(join(dataDir, 'dockgate.sqlite'));
  const dry = dockgate(['store', 'purge', '--dry-run', '--now', later], { DOCKGATE_DATA_DIR: dataDir });
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, /^would purge 1 raw file\(s\) of 1 message\(s\) .*nothing was changed/);
  assert.match(dry.out, /945\.edi/);
  const json = JSON.parse(dockgate(['store', 'purge', '--dry-run', '--now', later, '--json'], { DOCKGATE_DATA_DIR: dataDir }).out);
  assert.equal(json.dryRun, true);
  assert.equal(json.files.length, 1);
  // SQLite's read-only open may leave its shared-memory index (-shm) and an empty -wal; no data changes.
  assert.ok(readFileSync(join(dataDir, 'dockgate.sqlite')).equals(bytesBefore), 'the database is as it was');
  assert.ok(!existsSync(join(dataDir, 'dockgate.sqlite-wal')) || readFileSync(join(dataDir, 'dockgate.sqlite-wal')).length === 0, 'nothing written ahead');
  const store = openStore({ dataDir, readOnly: true });
  assert.ok(store.blobs.has(json.files[0].sha256), 'the raw file is still there');
  assert.equal(store.list({ kind: 'file' })[0].purgedAt, null);
  store.close();
  // The real run purges what the dry run listed.
  const real = JSON.parse(dockgate(['store', 'purge', '--now', later, '--json'], { DOCKGATE_DATA_DIR: dataDir }).out);
  assert.deepEqual(real.files, json.files);
  for (const bad of ['tomorrow', '2026-02-30']) {
    const r = dockgate(['store', 'purge', '--dry-run', '--now', bad], { DOCKGATE_DATA_DIR: dataDir });
    assert.equal(r.code, 2, `--now ${bad}`);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  }
  const help = dockgate(['store', 'purge', '--help'], { DOCKGATE_DATA_DIR: dataDir }).out;
  assert.match(help, /--dry-run/);
  assert.match(help, /pretend today is/);
  assert.match(help, /It deletes/);
});

test('temporary files of writers that died are removed when a store is opened for writing; live ones and read-only opens are left alone', async () => {
  const dataDir = dir();
  openStore({ dataDir }).close();
  const tmp = join(dataDir, 'raw', 'tmp');
  // Pids of processes that have exited: their temporary files can only be crash leftovers.
  const dead = Array.from({ length: 3 }, () => spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
  const leftovers = dead.map((pid) => `${pid}-${randomBytes(8).toString('hex')}`);
  for (const name of leftovers) writeFileSync(join(tmp, name), 'N1*ST*JANE DOE~N3*123 MAIN ST~'.repeat(1000));
  writeFileSync(join(tmp, 'not-ours-at-all'), 'x');
  mkdirSync(join(tmp, `${dead[0]}-${randomBytes(8).toString('hex')}`));
  const mine = `${process.pid}-${randomBytes(8).toString('hex')}`;
  writeFileSync(join(tmp, mine), 'being written');
  const parent = `${process.ppid}-${randomBytes(8).toString('hex')}`;
  writeFileSync(join(tmp, parent), 'being written by a live process');

  const reader = openStore({ dataDir, readOnly: true });
  reader.close();
  assert.equal(readdirSync(tmp).length, 7, 'a read-only open deletes nothing');
  const writer = openStore({ dataDir });
  assert.deepEqual(readdirSync(tmp).sort(), [mine, parent].sort());
  // The store still writes and reads after cleaning.
  const blob = await writer.blobs.putBuffer(Buffer.from('after'));
  assert.equal((await writer.blobs.read(blob.sha256)).toString(), 'after');
  writer.close();
  assert.ok(existsSync(join(tmp, mine)));
});

test('a 940 sent to a partner that acknowledges is completed by the 997 answering all its groups, then purged on schedule', async () => {
  const { recordAcknowledgementResults } = await import('../../src/cli/record.ts');
  const { parseAcknowledgement } = await import('../../src/x12/ack/index.ts');
  const dataDir = dir();
  const store = openStore({ dataDir, retentionDays: 30 });
  try {
    const blob = await store.blobs.putBuffer(Buffer.from(sample('acme-940-orders.edi')));
    const { sentNodes } = await import('../../src/store/envelope-nodes.ts');
    const id = await store.recordFile({
      direction: 'out', partner: 'reno-wms', fileName: '940.edi', sha256: blob.sha256, size: blob.size, status: 'delivered', containsPii: true,
      children: sentNodes(await validateFile(Buffer.from(sample('acme-940-orders.edi'))), 'delivered'),
    });
    assert.equal(store.get(id)!.completedAt, null, 'waits for its 997');
    // A 997 answering group 1001 partly, then one accepting it: the first answer completes the file.
    const acks: ReturnType<typeof parseAcknowledgement>[] = [];
    await validateFile(Buffer.from(sample('acme-997-from-warehouse.edi')), { onSet: (set) => void acks.push(parseAcknowledgement(set)) });
    await recordAcknowledgementResults(store, 'reno-wms', acks[0]);
    const done = store.get(id)!;
    assert.ok(done.completedAt);
    assert.equal(done.status, 'acknowledged');
    assert.match(done.statusReason!, /group 1001 accepted/);
    const purged = await store.purgeExpired(new Date(Date.parse(done.completedAt!) + 31 * DAY));
    assert.deepEqual(purged.files.map((f) => f.id), [id]);
    // An acknowledgement of another file's group leaves a file alone.
    const otherBytes = withControl(sample('acme-940-orders.edi'), 2002).replace('*1001*X*', '*1002*X*').replace('GE*2*1001', 'GE*2*1002');
    const other = await store.blobs.putBuffer(Buffer.from(otherBytes));
    const id2 = await store.recordFile({
      direction: 'out', partner: 'reno-wms', fileName: '940b.edi', sha256: other.sha256, size: other.size, status: 'delivered', containsPii: true,
      children: sentNodes(await validateFile(Buffer.from(otherBytes)), 'delivered'),
    });
    await recordAcknowledgementResults(store, 'reno-wms', acks[0]);
    assert.equal(store.get(id2)!.completedAt, null);
  } finally {
    store.close();
  }
});
