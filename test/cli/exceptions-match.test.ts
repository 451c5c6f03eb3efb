/**
 * `dockgate exceptions resolve ID --match REF` as a user runs it (the real bin, a real data
 * directory): what it refuses with exit 2 and a message naming what to give instead, and that
 * `--note` alone still resolves. The match itself, against the emulator and the warehouse
 * simulator, is in test/flows/removals.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import type { GatewayStore } from '../../src/store/work.ts';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/dockgate.js');

function dockgate(dataDir: string, args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dataDir, encoding: 'utf8', env: { ...process.env, DOCKGATE_DATA_DIR: dataDir, DOCKGATE_MAPPINGS: join(root, 'mappings') } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('exceptions resolve --match: refused with exit 2 for another kind, an empty reference, an exception without its posting, or neither --note nor --match; --note alone resolves', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dockgate-match-cli-'));
  try {
    const now = '2026-11-25T12:00:00.000Z';
    const store = openStore({ dataDir, retentionDays: 30 }) as unknown as GatewayStore;
    const sku = await store.work.exceptions.raise({ kind: 'unmapped-sku', severity: 'error', partner: 'reno-wms', key: 'TS-BLU-L', message: 'TS-BLU-L is not in SKU table acme-skus', now });
    const orphan = await store.work.exceptions.raise({
      kind: 'receipt-unmatched',
      severity: 'warning',
      seller: 'acme',
      partner: 'reno-wms',
      key: 'reno-wms:RCV000001:0',
      message: 'receipt RCV000001 line 1 matches no expected removal or return',
      context: { details: { fileMessageId: 4242, receiptId: 'RCV000001', line: 0, candidates: [] } },
      now,
    });
    await store.close();

    const help = dockgate(dataDir, ['exceptions', 'resolve', '--help']);
    assert.equal(help.code, 0, help.err);
    assert.match(help.out, /--match <ref>/);

    const neither = dockgate(dataDir, ['exceptions', 'resolve', String(sku.id)]);
    assert.equal(neither.code, 2);
    assert.match(neither.err, /--note <text>.*not specified \(or --match REF for a receipt-unmatched exception\)/);

    const empty = dockgate(dataDir, ['exceptions', 'resolve', String(orphan.id), '--match', ' ']);
    assert.equal(empty.code, 2);
    assert.match(empty.err, /--match must name a removal order id, an LPN or an Amazon order id/);

    const kind = dockgate(dataDir, ['exceptions', 'resolve', String(sku.id), '--match', 'RMV-5120-0042']);
    assert.equal(kind.code, 2, kind.err);
    assert.match(kind.err, new RegExp(`--match is for receipt-unmatched exceptions; exception ${sku.id} is unmapped-sku`));

    const missing = dockgate(dataDir, ['exceptions', 'resolve', String(orphan.id), '--match', 'RMV-5120-0042']);
    assert.equal(missing.code, 2, missing.err);
    assert.match(missing.err, new RegExp(`exception ${orphan.id} names no stored receipt posting`));

    const none = dockgate(dataDir, ['exceptions', 'resolve', '99999', '--match', 'RMV-5120-0042']);
    assert.equal(none.code, 2);
    assert.match(none.err, /no exception 99999/);

    const noted = dockgate(dataDir, ['exceptions', 'resolve', String(sku.id), '--note', 'added TS-BLU-L to acme-skus']);
    assert.equal(noted.code, 0, noted.err);
    assert.match(noted.out, /unmapped-sku TS-BLU-L: resolved/);
    const after = openStore({ dataDir, retentionDays: 30, readOnly: true }) as unknown as GatewayStore;
    try {
      assert.deepEqual([(await after.work.exceptions.get(sku.id))!.state, (await after.work.exceptions.get(orphan.id))!.state], ['resolved', 'open']);
    } finally {
      await after.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
