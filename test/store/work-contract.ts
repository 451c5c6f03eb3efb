/**
 * The durable-work contract, backend-neutral: what every GatewayStore (SQLite now, PostgreSQL
 * later) must do with transactions, the outbox, the exception queue, locks, cursors, the
 * documents of received files and the status axes of outbound messages. A backend's test file
 * calls `workContract(name, open)` with a function opening a fresh, empty store.
 *
 * Time is always passed in (`now`), never read from the system clock, so nothing here waits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FileRecord } from '../../src/store/store.ts';
import type { GatewayStore, OrderRecord, Work } from '../../src/store/work.ts';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
/** The contract's clock: T0 plus `ms`. */
export const at = (ms = 0): string => new Date(T0 + ms).toISOString();
const MIN = 60_000;

/** A promise and the functions that settle it: the test decides when a transaction goes on. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Let every other ready task run (not a timed wait). */
const tick = () => new Promise<void>((r) => setImmediate(r));

/** An outbound file with one interchange, group and set, its bytes in the store's blob store. */
export async function recordOutbound(store: GatewayStore, w: Work | null, partner = 'acme-3pl', fileName = 'out-1.edi'): Promise<{ fileId: number; groupId: number }> {
  const blob = await store.blobs.putBuffer(Buffer.from(`ISA*...${fileName}~`));
  const record: FileRecord = {
    direction: 'out',
    partner,
    fileName,
    sha256: blob.sha256,
    size: blob.size,
    status: 'queued',
    containsPii: true,
    children: [{ kind: 'interchange', control: '000000101', status: 'sent', children: [{ kind: 'group', control: '101', docType: 'OW', status: 'sent', children: [{ kind: 'set', control: '0001', docType: '940', status: 'sent' }] }] }],
  };
  const fileId = w ? await w.messages.recordFile(record) : await store.recordFile(record);
  // Inside a transaction, read on its connection: store.trace may read on another (PostgreSQL) and not see the file yet.
  const children = async (id: number) => (w ? await w.messages.children(id) : store.trace(id)!.children);
  const [interchange] = await children(fileId);
  const [group] = await children(interchange.id);
  return { fileId, groupId: group.id };
}

/** An order record as the orders flow writes one (seller acme, partner reno-wms, state new). */
export const orderRecord = (over: Partial<OrderRecord> = {}): OrderRecord => ({
  seller: 'acme',
  orderId: '112-3456789-1234567',
  marketplaceId: 'ATVPDKIKX0DER',
  partner: 'reno-wms',
  state: 'new',
  amazonUpdatedAt: '2026-11-24T16:02:11Z',
  amazonStatus: 'UNSHIPPED',
  shipBy: '2026-11-26T07:59:59Z',
  documentSha256: 'a'.repeat(64),
  addressHash: 'b'.repeat(64),
  lines: [{ lineNumber: 1, sellerSku: 'TSHIRT-RED-M', orderItemId: '12345678901234', ordered: 2, shipped: 0 }],
  revision: 0,
  heldBy: null,
  createdAt: '2026-11-24T16:05:00.000Z',
  updatedAt: '2026-11-24T16:05:00.000Z',
  ...over,
});

/**
 * Where backends differ by design. SQLite runs one write transaction at a time (BEGIN
 * IMMEDIATE, one connection): outside writes wait for an open transaction, and a rollback takes
 * back the control numbers drawn in it. PostgreSQL runs transactions side by side on pooled
 * connections (row locks keep read-then-write apart) and commits each control number when drawn
 * (a rolled-back file leaves a gap; no number is ever handed out twice).
 */
export interface BackendTraits {
  serialisedTransactions: boolean;
  controlNumbersRollBack: boolean;
}

export const SQLITE_TRAITS: BackendTraits = { serialisedTransactions: true, controlNumbersRollBack: true };
export const POSTGRES_TRAITS: BackendTraits = { serialisedTransactions: false, controlNumbersRollBack: false };

export interface ContractOptions {
  /** A second store on the database `store` uses (another instance, as a second process would open it). */
  sameDatabase?: (store: GatewayStore) => Promise<GatewayStore>;
  /** A read-only store on the database `store` uses (as `dockgate serve` and the CLI's lists open it). */
  readOnlyOf?: (store: GatewayStore) => Promise<GatewayStore>;
}

export function workContract(name: string, open: () => Promise<GatewayStore>, traits: BackendTraits = SQLITE_TRAITS, options: ContractOptions = {}): void {
  const t = (title: string, fn: (store: GatewayStore) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const store = await open();
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    });

  // ---------------------------------------------------------------- transactions

  t('a transaction commits everything it wrote, or nothing when fn throws', async (store) => {
    await assert.rejects(
      store.transaction(async (w) => {
        await w.jobs.enqueue({ kind: 'deliver-file', key: 'deliver:1', payload: { messageId: 1 } }, at());
        await w.exceptions.raise({ kind: 'unmapped-sku', key: 'SKU-1', seller: 'acme', message: 'no mapping', now: at() });
        await w.cursors.set('orders:acme', at(), at());
        await w.locks.acquire('poll:acme', 'me', at(), MIN);
        throw new Error('boom after the writes');
      }),
      /boom after the writes/,
    );
    assert.equal(await store.work.jobs.byKey('deliver:1'), null, 'the job was rolled back');
    assert.equal(await store.work.exceptions.find('unmapped-sku', 'SKU-1', 'acme'), null, 'the exception was rolled back');
    assert.equal(await store.work.cursors.get('orders:acme'), null, 'the cursor was rolled back');
    assert.equal(await store.work.locks.acquire('poll:acme', 'someone-else', at(), MIN), true, 'the lock was rolled back');

    const out = await store.transaction(async (w) => {
      const { job } = await w.jobs.enqueue({ kind: 'deliver-file', key: 'deliver:1', payload: { messageId: 1 } }, at());
      await w.cursors.set('orders:acme', at(5), at());
      return job.id;
    });
    assert.equal((await store.work.jobs.get(out))?.key, 'deliver:1');
    assert.equal(await store.work.cursors.get('orders:acme'), at(5));
  });

  t('a rolled-back transaction takes its message-log writes with it', async (store) => {
    let fileId = 0;
    await assert.rejects(
      store.transaction(async (w) => {
        fileId = (await recordOutbound(store, w)).fileId;
        await w.messages.setDelivery(fileId, 'pending', at());
        await w.jobs.enqueue({ kind: 'deliver-file', key: `deliver:${fileId}`, payload: { messageId: fileId } }, at());
        throw new Error('crash before commit');
      }),
      /crash before commit/,
    );
    assert.ok(fileId > 0);
    assert.equal(store.get(fileId), null, 'the file row went with the rollback');
    assert.equal(await store.work.jobs.byKey(`deliver:${fileId}`), null);
  });

  t('transaction inside a transaction is refused with a clear error, and the outer one still commits', async (store) => {
    await store.transaction(async (w) => {
      await assert.rejects(
        store.transaction(async () => undefined),
        (e: Error) => /inside a transaction/.test(e.message),
      );
      await w.cursors.set('c', 'outer', at());
    });
    assert.equal(await store.work.cursors.get('c'), 'outer');
  });

  t(traits.serialisedTransactions ? 'concurrent transactions are serialised: no lost update, no interleaving' : 'concurrent read-then-write transactions lose no update (the read locks the row)', async (store) => {
    await store.work.cursors.set('counter', '0', at());
    const trail: string[] = [];
    const bump = (who: string) =>
      store.transaction(async (w) => {
        trail.push(`${who}:begin`);
        const n = Number(await w.cursors.get('counter'));
        await tick();
        await tick();
        await w.cursors.set('counter', String(n + 1), at());
        trail.push(`${who}:end`);
      });
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map(bump));
    assert.equal(await store.work.cursors.get('counter'), '5', 'every increment kept');
    if (!traits.serialisedTransactions) return;
    for (let i = 0; i < trail.length; i += 2) {
      assert.equal(trail[i].split(':')[1], 'begin');
      assert.equal(trail[i + 1], `${trail[i].split(':')[0]}:end`, `transactions interleaved: ${trail.join(' ')}`);
    }
  });

  t(traits.serialisedTransactions ? 'store.work and the message-log writes wait for an open transaction instead of landing in it' : 'store.work and the message-log writes made beside an open transaction do not land in it', async (store) => {
    const release = deferred();
    const opened = deferred();
    const tx = store.transaction(async (w) => {
      await w.cursors.set('k', 'inside', at());
      opened.resolve();
      await release.promise;
      throw new Error('rolled back on purpose');
    });
    await opened.promise;
    let written = false;
    const outside = store.work.cursors.set('other', 'outside', at()).then(() => (written = true));
    const blob = await store.blobs.putBuffer(Buffer.from('a received file'));
    const recorded = store.recordFile({ direction: 'in', partner: 'acme-3pl', fileName: 'in-1.csv', sha256: blob.sha256, size: blob.size, status: 'received', children: [] });
    await tick();
    await tick();
    if (traits.serialisedTransactions) assert.equal(written, false, 'the outside write waits for the open transaction');
    release.resolve();
    await assert.rejects(tx, /rolled back on purpose/);
    await outside;
    const fileId = await recorded;
    assert.equal(await store.work.cursors.get('k'), null, 'the transaction rolled back');
    assert.equal(await store.work.cursors.get('other'), 'outside', 'the outside write did not go with the rollback');
    assert.equal(store.get(fileId)?.fileName, 'in-1.csv', 'the file recorded outside did not go with the rollback');
  });

  t('the Work of a transaction refuses use after the transaction ended', async (store) => {
    let kept: Work | null = null;
    await store.transaction(async (w) => {
      kept = w;
    });
    await assert.rejects(kept!.cursors.set('late', 'x', at()), /after its transaction ended/);
    assert.equal(await store.work.cursors.get('late'), null);
  });

  t(
    traits.controlNumbersRollBack
      ? 'control numbers drawn in a rolled-back transaction come back; one drawn outside during it is never handed out again'
      : 'a control number drawn in a rolled-back transaction is not handed out again (a gap); nor is one drawn outside during it',
    async (store) => {
    const first = store.peekControlNumber('acme-3pl', 'ISA13');
    await assert.rejects(
      store.transaction(async () => {
        assert.equal(store.controlNumbers.next('acme-3pl', 'ISA13'), first);
        throw new Error('no file');
      }),
    );
    if (traits.controlNumbersRollBack) assert.equal(store.peekControlNumber('acme-3pl', 'ISA13'), first, 'the file that would have used it was never recorded');
    else assert.equal(store.peekControlNumber('acme-3pl', 'ISA13'), first + 1, 'the number of the file that rolled back stays used');

    const opened = deferred();
    const release = deferred();
    const tx = store.transaction(async () => {
      opened.resolve();
      await release.promise;
      throw new Error('rolled back');
    });
    await opened.promise;
    const outside = store.controlNumbers.next('acme-3pl', 'ISA13');
    release.resolve();
    await assert.rejects(tx, /rolled back/);
    assert.ok(store.controlNumbers.next('acme-3pl', 'ISA13') > outside, 'the number drawn outside is not handed out again');
  },
  );

  // ---------------------------------------------------------------- jobs

  t('jobs: enqueue is idempotent by key', async (store) => {
    const a = await store.work.jobs.enqueue({ kind: 'deliver-file', key: 'deliver:7', partner: 'acme-3pl', payload: { messageId: 7 } }, at());
    assert.equal(a.created, true);
    assert.equal(a.job.state, 'pending');
    assert.equal(a.job.attempts, 0);
    assert.equal(a.job.nextAttemptAt, at());
    assert.deepEqual(a.job.payload, { messageId: 7 });
    const b = await store.work.jobs.enqueue({ kind: 'deliver-file', key: 'deliver:7', partner: 'acme-3pl', payload: { messageId: 999 } }, at(5));
    assert.equal(b.created, false);
    assert.equal(b.job.id, a.job.id);
    assert.deepEqual(b.job.payload, { messageId: 7 }, 'the first payload stays');
    assert.equal((await store.work.jobs.list({})).length, 1);
    await assert.rejects(store.work.jobs.enqueue({ kind: 'no-such-kind' as never, key: 'x', payload: {} }, at()), /not one of/);
  });

  t('jobs: claim leases ready jobs oldest first, counts the attempt, skips future and leased ones, filters by kind', async (store) => {
    const jobs = store.work.jobs;
    await jobs.enqueue({ kind: 'deliver-file', key: 'k3', payload: {}, notBefore: at(3000) }, at());
    await jobs.enqueue({ kind: 'confirm-package', key: 'k1', payload: {}, notBefore: at(1000) }, at());
    await jobs.enqueue({ kind: 'deliver-file', key: 'k2', payload: {}, notBefore: at(2000) }, at());
    await jobs.enqueue({ kind: 'deliver-file', key: 'later', payload: {}, notBefore: at(60 * MIN) }, at());
    assert.equal(await jobs.readyCount(at(5000)), 3);
    assert.equal(await jobs.nextReadyAt(), at(1000));

    const claimed = await jobs.claim({ owner: 'w1', now: at(5000), leaseMs: MIN, limit: 10 });
    assert.deepEqual(claimed.map((j) => j.key), ['k1', 'k2', 'k3'], 'oldest first, the future one left');
    for (const j of claimed) {
      assert.equal(j.leaseOwner, 'w1');
      assert.equal(j.leaseUntil, at(5000 + MIN));
      assert.equal(j.attempts, 1);
    }
    assert.deepEqual(await jobs.claim({ owner: 'w2', now: at(5000), leaseMs: MIN, limit: 10 }), [], 'leased jobs are not claimed twice');
    assert.equal(await jobs.readyCount(at(5000)), 0);
    assert.equal(await jobs.nextReadyAt(), at(5000 + MIN), 'the leases run out first');

    await jobs.enqueue({ kind: 'publish-quantity', key: 'q', payload: {} }, at(6000));
    await jobs.enqueue({ kind: 'deliver-file', key: 'd', payload: {} }, at(6000));
    const onlyQuantities = await jobs.claim({ owner: 'w2', now: at(7000), leaseMs: MIN, limit: 10, kinds: ['publish-quantity'] });
    assert.deepEqual(onlyQuantities.map((j) => j.key), ['q']);
    const limited = await jobs.claim({ owner: 'w2', now: at(7000), leaseMs: MIN, limit: 1 });
    assert.deepEqual(limited.map((j) => j.key), ['d']);
    assert.deepEqual(await jobs.claim({ owner: 'w2', now: at(7000), leaseMs: MIN, limit: 0 }), []);
  });

  t('jobs: an expired lease is taken again; the first owner is then refused everything', async (store) => {
    const jobs = store.work.jobs;
    const { job } = await jobs.enqueue({ kind: 'confirm-package', key: 'pkg:1', payload: { packageId: 1 } }, at());
    const [mine] = await jobs.claim({ owner: 'crashed', now: at(), leaseMs: MIN, limit: 1 });
    assert.equal(mine.id, job.id);
    assert.deepEqual(await jobs.claim({ owner: 'w2', now: at(MIN - 1), leaseMs: MIN, limit: 1 }), [], 'still leased');
    const [retaken] = await jobs.claim({ owner: 'w2', now: at(MIN), leaseMs: MIN, limit: 1 });
    assert.equal(retaken.id, job.id, 'taken again when the lease ran out');
    assert.equal(retaken.attempts, 2);
    assert.equal(retaken.leaseOwner, 'w2');

    assert.equal(await jobs.complete(job.id, 'crashed', at(MIN + 1)), false);
    assert.equal(await jobs.retry(job.id, 'crashed', 'late', at(2 * MIN), at(MIN + 1)), false);
    assert.equal(await jobs.fail(job.id, 'crashed', 'late', at(MIN + 1)), false);
    assert.equal(await jobs.release(job.id, 'crashed', at(MIN + 1)), false);
    assert.equal(await jobs.extendLease(job.id, 'crashed', at(10 * MIN)), false);
    assert.equal((await jobs.get(job.id))?.leaseOwner, 'w2', 'the refused calls changed nothing');

    assert.equal(await jobs.complete(job.id, 'w2', at(MIN + 2)), true);
    const done = (await jobs.get(job.id))!;
    assert.equal(done.state, 'done');
    assert.equal(done.doneAt, at(MIN + 2));
    assert.equal(done.leaseOwner, null);
    assert.equal(await jobs.complete(job.id, 'w2', at(MIN + 3)), false, 'done once');
    assert.deepEqual(await jobs.claim({ owner: 'w3', now: at(100 * MIN), leaseMs: MIN, limit: 5 }), [], 'a done job is never claimed');
    assert.equal((await jobs.list({ state: 'done' })).length, 1);
  });

  t('jobs: retry, release, extendLease, fail and revive', async (store) => {
    const jobs = store.work.jobs;
    const { job } = await jobs.enqueue({ kind: 'publish-feed', key: 'feed:acme:1', seller: 'acme', payload: {} }, at());
    await jobs.claim({ owner: 'w', now: at(), leaseMs: MIN, limit: 1 });
    assert.equal(await jobs.retry(job.id, 'w', 'HTTP 503', at(5 * MIN), at(1000)), true);
    let j = (await jobs.get(job.id))!;
    assert.equal(j.state, 'pending');
    assert.equal(j.lastError, 'HTTP 503');
    assert.equal(j.nextAttemptAt, at(5 * MIN));
    assert.equal(j.leaseOwner, null);
    assert.deepEqual(await jobs.claim({ owner: 'w', now: at(5 * MIN - 1), leaseMs: MIN, limit: 1 }), [], 'not before its next attempt');
    [j] = await jobs.claim({ owner: 'w', now: at(5 * MIN), leaseMs: MIN, limit: 1 });
    assert.equal(j.attempts, 2);

    assert.equal(await jobs.release(job.id, 'w', at(5 * MIN + 1)), true);
    j = (await jobs.get(job.id))!;
    assert.equal(j.attempts, 1, 'a released attempt does not count');
    assert.equal(j.leaseOwner, null);

    [j] = await jobs.claim({ owner: 'w', now: at(6 * MIN), leaseMs: MIN, limit: 1 });
    assert.equal(await jobs.extendLease(job.id, 'w', at(20 * MIN)), true);
    assert.deepEqual(await jobs.claim({ owner: 'other', now: at(10 * MIN), leaseMs: MIN, limit: 1 }), [], 'the extended lease holds');

    assert.equal(await jobs.fail(job.id, 'w', 'HTTP 400 InvalidInput', at(11 * MIN)), true);
    j = (await jobs.get(job.id))!;
    assert.equal(j.state, 'dead');
    assert.equal(j.lastError, 'HTTP 400 InvalidInput');
    assert.deepEqual(await jobs.claim({ owner: 'w', now: at(100 * MIN), leaseMs: MIN, limit: 1 }), [], 'a dead job is never claimed');
    assert.equal((await jobs.list({ state: 'dead', seller: 'acme' })).length, 1);
    assert.equal(await jobs.nextReadyAt(), null);

    assert.equal(await jobs.revive(job.id, at(200 * MIN)), true);
    assert.equal(await jobs.revive(job.id, at(200 * MIN)), false, 'only a dead job is revived');
    [j] = await jobs.claim({ owner: 'w', now: at(200 * MIN), leaseMs: MIN, limit: 1 });
    assert.equal(j.id, job.id);
    assert.equal(j.attempts, 1, 'a revived job starts counting again');
  });

  // ---------------------------------------------------------------- exceptions

  t('exceptions: one cause is one row, counted, with its refs deduplicated, most recent last', async (store) => {
    const x = store.work.exceptions;
    const first = await x.raise({ kind: 'unmapped-sku', seller: 'acme', key: 'SKU-9', message: 'SKU-9 has no warehouse item', ref: 'order-1', context: { mappingFile: 'sellers/acme.yaml' }, now: at() });
    assert.equal(first.count, 1);
    assert.equal(first.state, 'open');
    assert.equal(first.severity, 'error');
    const second = await x.raise({ kind: 'unmapped-sku', seller: 'acme', key: 'SKU-9', message: 'SKU-9 still unmapped', ref: 'order-2', context: { mappingFile: 'sellers/acme.yaml', mappingKey: 'skus.SKU-9' }, now: at(MIN) });
    const third = await x.raise({ kind: 'unmapped-sku', seller: 'acme', key: 'SKU-9', message: 'SKU-9 still unmapped', ref: 'order-1', now: at(2 * MIN) });
    assert.equal(second.id, first.id);
    assert.equal(third.id, first.id);
    assert.equal(third.count, 3);
    assert.deepEqual(third.refs, ['order-2', 'order-1'], 'deduplicated, most recent last');
    assert.equal(third.firstSeen, at());
    assert.equal(third.lastSeen, at(2 * MIN));
    assert.equal(third.message, 'SKU-9 still unmapped', 'the message is refreshed');
    assert.deepEqual(third.context, { mappingFile: 'sellers/acme.yaml', mappingKey: 'skus.SKU-9' }, 'the context is kept when not given again');

    const otherSeller = await x.raise({ kind: 'unmapped-sku', seller: 'northwind', key: 'SKU-9', message: 'm', now: at() });
    const otherKind = await x.raise({ kind: 'unmapped-carrier', seller: 'acme', key: 'SKU-9', message: 'm', now: at() });
    const noSeller = await x.raise({ kind: 'unmapped-sku', key: 'SKU-9', message: 'm', now: at() });
    const noSellerAgain = await x.raise({ kind: 'unmapped-sku', key: 'SKU-9', message: 'm', now: at(1) });
    assert.equal(new Set([first.id, otherSeller.id, otherKind.id, noSeller.id]).size, 4, 'seller and kind are part of the cause');
    assert.equal(noSellerAgain.id, noSeller.id, 'no seller is a cause too');
    assert.equal(noSellerAgain.count, 2);
    assert.equal((await x.find('unmapped-sku', 'SKU-9', 'acme'))?.id, first.id);
    assert.equal((await x.find('unmapped-sku', 'SKU-9'))?.id, noSeller.id);
    assert.equal(await x.find('unmapped-sku', 'SKU-8', 'acme'), null);
    await assert.rejects(x.raise({ kind: 'made-up' as never, key: 'k', message: 'm', now: at() }), /not one of/);
  });

  t('exceptions: default severity by kind, an explicit one wins', async (store) => {
    const x = store.work.exceptions;
    for (const kind of ['ack-overdue', 'amazon-refused', 'file-failed', 'partner-data-rejected', 'order-late'] as const) {
      assert.equal((await x.raise({ kind, key: 'k', message: 'm', now: at() })).severity, 'error', kind);
    }
    for (const kind of ['inventory-stale', 'not-picked-up'] as const) {
      assert.equal((await x.raise({ kind, key: 'k', message: 'm', now: at() })).severity, 'warning', kind);
    }
    assert.equal((await x.raise({ kind: 'short-ship', key: 'o', message: 'm', severity: 'critical', now: at() })).severity, 'critical');
  });

  t('exceptions: refs are capped, keeping the most recent', async (store) => {
    const last = await store.transaction(async (w) => {
      let r = null;
      for (let i = 0; i < 520; i++) r = await w.exceptions.raise({ kind: 'unmapped-sku', seller: 'acme', key: 'SKU-X', message: 'm', ref: `order-${i}`, now: at(i) });
      return r!;
    });
    assert.equal(last.count, 520);
    assert.equal(last.refs.length, 500);
    assert.equal(last.refs[0], 'order-20');
    assert.equal(last.refs.at(-1), 'order-519');
  });

  t('exceptions: assign, acknowledge, resolve; the same cause raised after resolving is a new row', async (store) => {
    const x = store.work.exceptions;
    const e = await x.raise({ kind: 'ack-overdue', partner: 'acme-3pl', key: 'group 101', message: 'no 997', now: at() });
    await x.assign(e.id, 'dana', at(1));
    await x.acknowledge(e.id, at(2));
    let got = (await x.get(e.id))!;
    assert.equal(got.owner, 'dana');
    assert.equal(got.state, 'acknowledged');
    const bumped = await x.raise({ kind: 'ack-overdue', partner: 'acme-3pl', key: 'group 101', message: 'still no 997', now: at(3) });
    assert.equal(bumped.id, e.id);
    assert.equal(bumped.state, 'acknowledged', 'seen again while someone is on it: still theirs');
    assert.deepEqual((await x.list({ states: ['open'] })).map((r) => r.id), []);
    assert.deepEqual((await x.list({ states: ['open', 'acknowledged'], partner: 'acme-3pl' })).map((r) => r.id), [e.id]);

    await x.resolve(e.id, 'the 997 came late', at(4));
    got = (await x.get(e.id))!;
    assert.equal(got.state, 'resolved');
    assert.equal(got.note, 'the 997 came late');
    assert.equal(got.resolvedAt, at(4));
    assert.equal(await x.find('ack-overdue', 'group 101', null, 'acme-3pl'), null);

    const again = await x.raise({ kind: 'ack-overdue', partner: 'acme-3pl', key: 'group 101', message: 'overdue again', now: at(5) });
    assert.notEqual(again.id, e.id, 'a new row');
    assert.equal(again.count, 1);
    assert.equal(again.state, 'open');
    assert.equal((await x.get(e.id))!.state, 'resolved', 'the old one stays resolved');
    assert.deepEqual((await x.list({ kind: 'ack-overdue' })).map((r) => r.id), [e.id, again.id]);
    await assert.rejects(x.assign(999_999, 'dana', at()), /no exception 999999/);
  });

  t('exceptions: resolveCause and dropRef (resolved when no ref is left)', async (store) => {
    const x = store.work.exceptions;
    assert.equal(await x.resolveCause('unmapped-carrier', 'FEDX', null, 'acme-3pl', 'fixed', at()), false, 'nothing to resolve');
    const c = await x.raise({ kind: 'unmapped-carrier', partner: 'acme-3pl', key: 'FEDX', message: 'm', now: at() });
    assert.equal(await x.resolveCause('unmapped-carrier', 'FEDX', null, 'acme-3pl', 'mapping fixed', at(1)), true);
    assert.equal((await x.get(c.id))!.state, 'resolved');

    const s = await x.raise({ kind: 'unmapped-sku', seller: 'acme', key: 'SKU-1', message: 'm', ref: 'o1', now: at() });
    await x.raise({ kind: 'unmapped-sku', seller: 'acme', key: 'SKU-1', message: 'm', ref: 'o2', now: at(1) });
    await x.dropRef(s.id, 'o1', 'o1 released', at(2));
    let got = (await x.get(s.id))!;
    assert.deepEqual(got.refs, ['o2']);
    assert.equal(got.state, 'open');
    assert.deepEqual(got.context.details?.released, ['o1'], 'the record still says whom it held');
    // Seen again with a new context (a third order): the released ones are kept.
    await x.raise({ kind: 'unmapped-sku', seller: 'acme', key: 'SKU-1', message: 'm', ref: 'o3', context: { mappingFile: 'tables/acme-skus.yaml' }, now: at(2) });
    got = (await x.get(s.id))!;
    assert.deepEqual(got.context.details?.released, ['o1']);
    assert.equal(got.context.mappingFile, 'tables/acme-skus.yaml');
    await x.dropRef(s.id, 'o2', 'o2 released', at(3));
    await x.dropRef(s.id, 'o3', 'every order released', at(3));
    await x.dropRef(s.id, 'not-a-ref', 'nothing', at(3));
    got = (await x.get(s.id))!;
    assert.deepEqual(got.refs, []);
    assert.deepEqual(got.context.details?.released, ['o1', 'o2', 'o3'], 'a key that was never a ref is not recorded as released');
    assert.equal(got.state, 'resolved');
    assert.equal(got.note, 'every order released');
  });

  // ---------------------------------------------------------------- locks, cursors, inbound documents

  t('locks: free, held by another, ours (extended), expired, released only by the holder', async (store) => {
    const l = store.work.locks;
    assert.equal(await l.acquire('poll:acme-3pl', 'a', at(), MIN), true);
    assert.equal(await l.acquire('poll:acme-3pl', 'b', at(1000), MIN), false, 'held by a');
    assert.equal(await l.acquire('poll:acme-3pl', 'a', at(30_000), MIN), true, 'ours: extended to 30 s + 1 min');
    assert.equal(await l.acquire('poll:acme-3pl', 'b', at(MIN + 1000), MIN), false, 'the extension holds past the first lease');
    assert.equal(await l.acquire('poll:acme-3pl', 'b', at(MIN + 30_000), MIN), true, 'expired: taken over');
    await l.release('poll:acme-3pl', 'a');
    assert.equal(await l.acquire('poll:acme-3pl', 'a', at(MIN + 31_000), MIN), false, 'a cannot release what b holds');
    await l.release('poll:acme-3pl', 'b');
    assert.equal(await l.acquire('poll:acme-3pl', 'a', at(MIN + 32_000), MIN), true);
    assert.equal(await l.acquire('other-lock', 'b', at(MIN + 32_000), MIN), true, 'locks are by name');
  });

  t('cursors: unset, set, replaced', async (store) => {
    const c = store.work.cursors;
    assert.equal(await c.get('orders:acme:ATVPDKIKX0DER'), null);
    await c.set('orders:acme:ATVPDKIKX0DER', '2026-02-28T00:00:00.000Z', at());
    await c.set('orders:northwind:ATVPDKIKX0DER', 'x', at());
    await c.set('orders:acme:ATVPDKIKX0DER', '2026-03-01T00:00:00.000Z', at(1));
    assert.equal(await c.get('orders:acme:ATVPDKIKX0DER'), '2026-03-01T00:00:00.000Z');
    assert.equal(await c.get('orders:northwind:ATVPDKIKX0DER'), 'x');
  });

  t('inbound documents: recorded per file in order, states changed, unknown states refused', async (store) => {
    const blob = await store.blobs.putBuffer(Buffer.from('ISA*945...'));
    const fileId = await store.recordFile({ direction: 'in', partner: 'acme-3pl', fileName: '945-1.edi', sha256: blob.sha256, size: blob.size, status: 'received', children: [] });
    const docs = store.work.inbound;
    await docs.add({ fileMessageId: fileId, index: 1, where: 'set 945 0002 (line 20)', document: 'shipment-advice', seller: 'northwind', key: 'order-B', state: 'held', reason: 'unmapped carrier FEDX', at: at() });
    await docs.add({ fileMessageId: fileId, index: 0, where: 'set 945 0001 (line 3)', document: 'shipment-advice', seller: 'acme', key: 'order-A', state: 'processed', reason: null, at: at() });
    let got = await docs.forFile(fileId);
    assert.deepEqual(got.map((d) => [d.index, d.seller, d.state]), [[0, 'acme', 'processed'], [1, 'northwind', 'held']]);
    assert.equal(got[1].where, 'set 945 0002 (line 20)');
    await docs.setState(fileId, 1, 'processed', null, at(MIN));
    got = await docs.forFile(fileId);
    assert.equal(got[1].state, 'processed');
    assert.equal(got[1].reason, null);
    assert.equal(got[1].at, at(MIN));
    await assert.rejects(docs.setState(fileId, 1, 'finished' as never, null, at()), /not one of/);
    await assert.rejects(docs.setState(fileId, 7, 'processed', null, at()), /no document 7/);
    assert.deepEqual(await docs.forFile(fileId + 1000), []);
  });

  // ---------------------------------------------------------------- message axes

  t('message axes: each transition is written with its time and an event; overdue and delivered queries', async (store) => {
    const { fileId, groupId } = await store.transaction(async (w) => {
      const ids = await recordOutbound(store, w);
      await w.messages.setValidation(ids.fileId, 'valid', at());
      await w.messages.setDelivery(ids.fileId, 'pending', at());
      return ids;
    });
    const m = store.work.messages;
    assert.deepEqual(await m.axes(fileId), { validation: 'valid', delivery: 'pending', deliveredAt: null, acknowledgement: null, acknowledgedAt: null, ackDueAt: null });
    assert.deepEqual(await m.deliveredUnconfirmed('acme-3pl'), []);

    await m.setDelivery(fileId, 'delivered', at(MIN), 'put to /in as 940-1.edi', '/in');
    await m.setAcknowledgement(groupId, 'awaiting', at(MIN), undefined, at(61 * MIN));
    let axes = (await m.axes(fileId))!;
    assert.equal(axes.delivery, 'delivered');
    assert.equal(axes.deliveredAt, at(MIN));
    assert.deepEqual(await m.deliveredUnconfirmed('acme-3pl'), [{ id: fileId, fileName: 'out-1.edi', deliveredAt: at(MIN), remoteDir: '/in' }]);
    assert.deepEqual(await m.deliveredUnconfirmed('northwind-3pl'), []);
    assert.equal((await m.axes(groupId))!.ackDueAt, at(61 * MIN));

    assert.deepEqual(await m.ackOverdue(at(61 * MIN)), [], 'due at 61 min: not overdue at 61 min');
    assert.deepEqual(await m.ackOverdue(at(61 * MIN + 1)), [{ id: groupId, partner: 'acme-3pl', kind: 'group', control: '101', dueAt: at(61 * MIN) }]);
    await m.setAcknowledgement(groupId, 'overdue', at(62 * MIN), 'no 997 within 60 minutes');
    assert.deepEqual(await m.ackOverdue(at(100 * MIN)), [], 'marked overdue: reported once');
    await m.setAcknowledgement(groupId, 'accepted', at(70 * MIN), '997 AK9*A');
    axes = (await m.axes(groupId))!;
    assert.equal(axes.acknowledgement, 'accepted');
    assert.equal(axes.acknowledgedAt, at(70 * MIN));

    await m.setDelivery(fileId, 'picked-up', at(80 * MIN), 'gone from /in');
    assert.deepEqual(await m.deliveredUnconfirmed('acme-3pl'), [], 'picked up');
    assert.equal((await m.axes(fileId))!.deliveredAt, at(MIN), 'the delivery time stays');

    const fileEvents = store.trace(fileId)!.events.map((e) => `${e.fromStatus} -> ${e.toStatus}${e.reason ? ` (${e.reason})` : ''}`);
    assert.deepEqual(fileEvents.slice(1), [
      'validation: none -> validation: valid',
      'delivery: none -> delivery: pending',
      'delivery: pending -> delivery: delivered (put to /in as 940-1.edi)',
      'delivery: delivered -> delivery: picked-up (gone from /in)',
    ]);
    const groupEvents = store.trace(groupId)!.events.map((e) => `${e.fromStatus} -> ${e.toStatus}`);
    assert.deepEqual(groupEvents.slice(1), ['acknowledgement: none -> acknowledgement: awaiting', 'acknowledgement: awaiting -> acknowledgement: overdue', 'acknowledgement: overdue -> acknowledgement: accepted']);
    const eventTimes = store.trace(groupId)!.events.slice(1).map((e) => e.at);
    assert.deepEqual(eventTimes, [at(MIN), at(62 * MIN), at(70 * MIN)]);

    await assert.rejects(m.setDelivery(fileId, 'lost' as never, at()), /not one of/);
    await assert.rejects(m.setAcknowledgement(fileId, 'awaiting', at()), /becomes overdue/, 'awaiting needs a due time');
    await assert.rejects(m.setValidation(999_999, 'valid', at()), /no message 999999/);
    assert.equal(await m.axes(999_999), null);
  });

  t('message tracking: received files left unprocessed are found again; setStatus takes the flow clock', async (store) => {
    const put = async (name: string, partner = 'acme-3pl') => {
      const blob = await store.blobs.putBuffer(Buffer.from(`bytes of ${name}`));
      return { id: await store.recordFile({ direction: 'in', partner, fileName: name, sha256: blob.sha256, size: blob.size, status: 'received', children: [] }), sha256: blob.sha256 };
    };
    const a = await put('a.edi');
    const b = await put('b.edi');
    const c = await put('c.edi');
    await put('other.edi', 'northwind-3pl');
    await store.transaction(async (w) => {
      await w.messages.setStatus(b.id, 'processed', 'two documents', true, at(5 * MIN));
      await w.messages.setStatus(c.id, 'received-name-reused', 'same name, new bytes');
    });
    assert.deepEqual(await store.work.messages.unprocessedReceived('acme-3pl'), [
      { id: a.id, fileName: 'a.edi', sha256: a.sha256 },
      { id: c.id, fileName: 'c.edi', sha256: store.get(c.id)!.blobSha256! },
    ]);
    assert.equal(store.get(b.id)!.completedAt, at(5 * MIN), 'completed at the time the flow gave');
    assert.equal(store.get(b.id)!.status, 'processed');
  });

  // ---------------------------------------------------------------- operator surface

  t('cursors are listed by prefix, in name order', async (store) => {
    await store.work.cursors.set('task-run:orders:b', '{"n":2}', at());
    await store.work.cursors.set('task-run:orders:a', '{"n":1}', at(MIN));
    await store.work.cursors.set('task-runs-not', 'x', at());
    await store.work.cursors.set('orders:acme', 'y', at());
    const listed = await store.work.cursors.list('task-run:');
    assert.deepEqual(listed.map((c) => [c.name, c.value]), [['task-run:orders:a', '{"n":1}'], ['task-run:orders:b', '{"n":2}']]);
    assert.equal(listed[0].updatedAt, at(MIN));
    assert.deepEqual(await store.work.cursors.list('nothing:'), []);
  });

  t('health samples: added, listed by window, metric and scope oldest first, purged by age; non-finite values are not stored', async (store) => {
    const h = store.work.health;
    await h.add([
      { at: at(2 * MIN), metric: 'exception-backlog', scope: '', value: 3 },
      { at: at(0), metric: 'exception-backlog', scope: '', value: 1 },
      { at: at(MIN), metric: 'inventory-age-seconds', scope: 'acme/SKU-1', value: 60.5 },
      { at: at(MIN), metric: 'exception-backlog', scope: '', value: Number.NaN },
    ]);
    assert.deepEqual((await h.list({ since: at(0), metric: 'exception-backlog' })).map((s) => [s.at, s.value]), [[at(0), 1], [at(2 * MIN), 3]]);
    assert.deepEqual((await h.list({ since: at(0), until: at(2 * MIN) })).map((s) => s.metric), ['exception-backlog', 'inventory-age-seconds']);
    assert.deepEqual((await h.list({ since: at(0), scope: 'acme/SKU-1' })).map((s) => s.value), [60.5]);
    assert.equal(await h.purgeBefore(at(MIN)), 1);
    assert.equal((await h.list({ since: at(0) })).length, 2);
  });

  t('alerts: a cause fires once (seen again bumps it), clears once, and fires anew after clearing', async (store) => {
    const a = store.work.alerts;
    const first = await a.fire({ rule: 'ack-overdue', key: 'message:7', partner: 'acme-3pl', severity: 'error', message: '940 group 12 unacknowledged', details: { dueAt: at() } }, at());
    assert.equal(first.created, true);
    assert.equal(first.record.state, 'firing');
    const again = await a.fire({ rule: 'ack-overdue', key: 'message:7', partner: 'acme-3pl', severity: 'error', message: 'still unacknowledged' }, at(MIN));
    assert.equal(again.created, false);
    assert.equal(again.record.id, first.record.id);
    assert.equal(again.record.lastSeen, at(MIN));
    assert.equal(again.record.message, 'still unacknowledged');
    await a.fire({ rule: 'tracking-lag', key: 'package:3', seller: 'acme', severity: 'warning', message: 'lag' }, at());
    assert.deepEqual((await a.firing('ack-overdue')).map((r) => r.id), [first.record.id]);
    assert.equal((await a.firing()).length, 2);
    assert.equal(await a.clear(first.record.id, 'acknowledged', at(2 * MIN)), true);
    assert.equal(await a.clear(first.record.id, 'acknowledged', at(3 * MIN)), false, 'cleared once');
    const cleared = await a.get(first.record.id);
    assert.equal(cleared?.state, 'cleared');
    assert.equal(cleared?.clearedAt, at(2 * MIN));
    assert.equal(cleared?.clearedBecause, 'acknowledged');
    const anew = await a.fire({ rule: 'ack-overdue', key: 'message:7', severity: 'error', message: 'overdue again' }, at(4 * MIN));
    assert.equal(anew.created, true);
    assert.notEqual(anew.record.id, first.record.id);
    assert.deepEqual((await a.list({ state: 'cleared' })).map((r) => r.id), [first.record.id]);
    await assert.rejects(a.fire({ rule: 'x', key: 'y', severity: 'loud' as never, message: 'm' }, at()), /not one of/);
  });

  t('an alert fired inside a transaction that throws is rolled back', async (store) => {
    await assert.rejects(
      store.transaction(async (w) => {
        await w.alerts.fire({ rule: 'inventory-stale', key: 'reno/acme', severity: 'warning', message: 'stale' }, at());
        await w.health.add([{ at: at(), metric: 'm', scope: '', value: 1 }]);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(await store.work.alerts.firing(), []);
    assert.deepEqual(await store.work.health.list({ since: at(0) }), []);
  });

  // ---------------------------------------------------------------- FBA shipments (issue 12)

  const fbaShipment = (over: Partial<import('../../src/store/fba.ts').FbaShipmentRecord> = {}): import('../../src/store/fba.ts').FbaShipmentRecord => ({
    seller: 'acme',
    shipmentId: 'FBA15ABCD1234',
    inboundPlanId: 'wf1a2b3c4d-5e6f',
    amazonShipmentId: 'sh1a2b3c4d-5e6f',
    planName: 'Replenishment',
    marketplaceId: 'ATVPDKIKX0DER',
    partner: 'reno-wms',
    destinationFc: 'RNO4',
    amazonReferenceId: '3K7QXZ9A',
    amazonStatus: 'READY_TO_SHIP',
    boxes: [{ boxId: 'FBA15ABCD1234U000001', sscc: '00006141411234567890', items: [{ msku: 'TSHIRT-RED-M-FBA', fnsku: 'X00123ABCE', quantity: 24 }] }],
    labelsUrl: null,
    state: 'sent',
    source: 'poll',
    sentAt: at(),
    shippedAt: null,
    trackingAt: null,
    shipped: null,
    problems: [],
    asnMessageId: null,
    exceptionId: null,
    createdAt: at(),
    updatedAt: at(),
    ...over,
  });

  t('FBA shipments: put and get whole, replaced whole, listed by seller, partner and state (newest first), bad states refused', async (store) => {
    const f = store.work.fba;
    assert.equal(await f.get('acme', 'FBA15ABCD1234'), null);
    await f.put(fbaShipment());
    assert.deepEqual(await f.get('acme', 'FBA15ABCD1234'), fbaShipment());
    const shipped = fbaShipment({
      state: 'shipped',
      shippedAt: at(MIN),
      shipped: { cartons: [{ boxId: 'FBA15ABCD1234U000001', trackingNumber: '1Z1', contents: [{ sellerSku: 'TSHIRT-RED-M-FBA', quantity: 24 }] }], bol: 'BOL1', fileMessageId: 7 },
      problems: ['none'],
      updatedAt: at(MIN),
    });
    await f.put(shipped);
    assert.deepEqual(await f.get('acme', 'FBA15ABCD1234'), shipped);
    await f.put(fbaShipment({ shipmentId: 'FBA16WXYZ5678', partner: 'cascade-csv', updatedAt: at(2 * MIN) }));
    await f.put(fbaShipment({ seller: 'northwind', shipmentId: 'FBA17NW000001', state: 'held', updatedAt: at(3 * MIN) }));
    assert.deepEqual((await f.list({})).map((r) => r.shipmentId), ['FBA17NW000001', 'FBA16WXYZ5678', 'FBA15ABCD1234']);
    assert.deepEqual((await f.list({ seller: 'acme' })).map((r) => r.shipmentId), ['FBA16WXYZ5678', 'FBA15ABCD1234']);
    assert.deepEqual((await f.list({ partner: 'cascade-csv' })).map((r) => r.shipmentId), ['FBA16WXYZ5678']);
    assert.deepEqual((await f.list({ states: ['shipped', 'held'] })).map((r) => r.shipmentId), ['FBA17NW000001', 'FBA15ABCD1234']);
    assert.equal((await f.list({ limit: 1 })).length, 1);
    await assert.rejects(f.put(fbaShipment({ state: 'lost' as never })), /not one of/);
    await assert.rejects(f.list({ states: ['lost' as never] }), /not one of/);
  });

  t('an FBA shipment written in a transaction that throws is rolled back', async (store) => {
    await assert.rejects(
      store.transaction(async (w) => {
        await w.fba.put(fbaShipment());
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await store.work.fba.get('acme', 'FBA15ABCD1234'), null);
  });

  // ---------------------------------------------------------------- removals and returns (issue 12)

  const removal = (over: Partial<Parameters<Work['removals']['upsertExpected']>[0]> = {}): Parameters<Work['removals']['upsertExpected']>[0] => ({
    seller: 'acme',
    source: 'removal',
    reference: 'RMV-5120-0042',
    sellerSku: 'TSHIRT-RED-M-FBA',
    fnsku: 'X00123ABCE',
    lpn: null,
    carrier: 'UPS',
    trackingNumber: '1Z999AA10187654321',
    disposition: 'Sellable',
    expected: 3,
    shippedAt: at(),
    ...over,
  });

  t('expected arrivals: one per report line identity, refreshed when reported again, found by reference, LPN, tracking and state', async (store) => {
    const r = store.work.removals;
    const first = await r.upsertExpected(removal(), at());
    assert.equal(first.created, true);
    assert.equal(first.record.state, 'expected');
    assert.equal(first.record.received, 0);
    const again = await r.upsertExpected(removal({ expected: 4, carrier: 'UPS Ground' }), at(MIN));
    assert.equal(again.created, false);
    assert.equal(again.record.id, first.record.id);
    assert.equal(again.record.expected, 4);
    assert.equal(again.record.carrier, 'UPS Ground');
    assert.equal(again.record.updatedAt, at(MIN));
    // Another tracking number of the same removal order is another shipment: another arrival.
    const second = await r.upsertExpected(removal({ trackingNumber: '1Z999AA10187654322', expected: 2 }), at());
    assert.equal(second.created, true);
    const ret = await r.upsertExpected(removal({ source: 'return', reference: '111-0000000-0000009', lpn: 'LPN7770001234', trackingNumber: null, carrier: null, expected: 1 }), at());
    assert.equal(ret.created, true);
    assert.equal((await r.upsertExpected(removal({ source: 'return', reference: '111-0000000-0000009', lpn: 'LPN7770001234', trackingNumber: null, carrier: null, expected: 1 }), at())).created, false, 'no tracking and the same LPN: the same arrival');
    assert.deepEqual((await r.listExpected({ reference: 'RMV-5120-0042' })).map((a) => a.id), [first.record.id, second.record.id]);
    assert.deepEqual((await r.listExpected({ lpn: 'LPN7770001234' })).map((a) => a.id), [ret.record.id]);
    assert.deepEqual((await r.listExpected({ trackingNumber: '1Z999AA10187654322' })).map((a) => a.id), [second.record.id]);
    assert.deepEqual((await r.listExpected({ seller: 'acme', sellerSku: 'TSHIRT-RED-M-FBA', states: ['expected'] })).length, 3);
    assert.deepEqual(await r.listExpected({ seller: 'northwind' }), []);
    assert.deepEqual((await r.getExpected(ret.record.id))?.lpn, 'LPN7770001234');
    assert.equal(await r.getExpected(9999), null);
    await assert.rejects(r.upsertExpected(removal({ expected: -1 }), at()), /whole number/);
    await assert.rejects(r.listExpected({ states: ['gone' as never] }), /not one of/);
  });

  t('receiving moves an arrival through partially-received, received and over-received; a refresh keeps what was received', async (store) => {
    const r = store.work.removals;
    const { record } = await r.upsertExpected(removal({ expected: 3 }), at());
    assert.equal((await r.receive(record.id, 1, at(MIN))).state, 'partially-received');
    const full = await r.receive(record.id, 2, at(2 * MIN));
    assert.equal(full.state, 'received');
    assert.equal(full.received, 3);
    assert.equal((await r.upsertExpected(removal({ expected: 3 }), at(3 * MIN))).record.state, 'received', 'the report again does not forget the receipt');
    const over = await r.receive(record.id, 1, at(4 * MIN));
    assert.equal(over.state, 'over-received');
    assert.equal(over.received, 4);
    assert.equal((await r.upsertExpected(removal({ expected: 5 }), at(5 * MIN))).record.state, 'partially-received', 'Amazon reporting more shipped reopens it');
    await assert.rejects(r.receive(9999, 1, at()), /no expected arrival/);
    await assert.rejects(r.receive(record.id, 1.5, at()), /whole number/);
  });

  t('receipt postings: one per receipt line however often its file is processed, listed by file, arrival and state, matched by hand later', async (store) => {
    const r = store.work.removals;
    const { record } = await r.upsertExpected(removal(), at());
    const line = { seller: 'acme', partner: 'reno-wms', fileMessageId: 11, receiptId: 'RCV-1', sellerSku: 'TSHIRT-RED-M-FBA', warehouseItem: 'TS-RED-M', quantity: 2, condition: 'sellable', disposition: 'sellable' as const, exceptionId: null, at: at() };
    const matched = await r.addPosting({ ...line, line: 0, arrivalId: record.id, matchedBy: 'removal-order', state: 'posted' });
    const again = await r.addPosting({ ...line, line: 0, arrivalId: record.id, matchedBy: 'removal-order', state: 'posted', quantity: 9 });
    assert.equal(again.id, matched.id, 'the same line again is the same posting');
    assert.equal(again.quantity, 2);
    const loose = await r.addPosting({ ...line, line: 1, arrivalId: null, matchedBy: null, state: 'unmatched', disposition: 'quarantine', condition: 'unknown', exceptionId: 5 });
    assert.deepEqual((await r.postings({ fileMessageId: 11 })).map((p) => p.id), [matched.id, loose.id]);
    assert.deepEqual((await r.postings({ state: 'unmatched' })).map((p) => p.id), [loose.id]);
    assert.deepEqual((await r.postings({ arrivalId: record.id })).map((p) => p.id), [matched.id]);
    await r.matchPosting(loose.id, record.id, 'manual', at(MIN));
    const now = await r.getPosting(loose.id);
    assert.equal(now?.state, 'posted');
    assert.equal(now?.arrivalId, record.id);
    assert.equal(now?.matchedBy, 'manual');
    assert.equal(now?.exceptionId, 5);
    assert.equal(await r.getPosting(9999), null);
    await assert.rejects(r.matchPosting(9999, record.id, 'manual', at()), /no receipt posting/);
    await assert.rejects(r.addPosting({ ...line, line: 2, arrivalId: null, matchedBy: null, state: 'unmatched', disposition: 'lost' as never }), /not one of/);
  });

  t('arrivals received in a transaction that throws are rolled back with their postings', async (store) => {
    const { record } = await store.work.removals.upsertExpected(removal(), at());
    await assert.rejects(
      store.transaction(async (w) => {
        await w.removals.receive(record.id, 3, at(MIN));
        await w.removals.addPosting({ seller: 'acme', partner: 'reno-wms', fileMessageId: 1, receiptId: 'R', line: 0, arrivalId: record.id, sellerSku: 'TSHIRT-RED-M-FBA', warehouseItem: null, quantity: 3, condition: 'sellable', disposition: 'sellable', matchedBy: 'lpn', state: 'posted', exceptionId: null, at: at(MIN) });
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal((await store.work.removals.getExpected(record.id))?.received, 0);
    assert.deepEqual(await store.work.removals.postings({}), []);
  });

  // ---------------------------------------------------------------- shared SP-API quota

  // Rate 2 per second, burst 3: one token every 500 ms, three at most.
  const Q = { key: 'acme/getOrder', rate: 2, burst: 3 };
  const take = (store: GatewayStore, ms: number, key = Q.key) => store.work.quota.take(key, Q.rate, Q.burst, T0 + ms);

  t('quota: a new bucket grants its burst, then refuses with the wait its rate gives, and grants when that wait is over', async (store) => {
    assert.deepEqual([await take(store, 0), await take(store, 0), await take(store, 0)], [0, 0, 0], 'the burst');
    assert.equal(await take(store, 0), 500, 'one token per 500 ms');
    assert.equal(await take(store, 100), 400, 'a refusal takes nothing: the wait counts down');
    assert.equal(await take(store, 500), 0, 'the token that came');
    assert.equal(await take(store, 500), 500, 'and the next one is an interval later');
    assert.equal(await take(store, 0, 'acme/confirmShipment'), 0, 'another key is another bucket');
  });

  t('quota: a bucket refills by the elapsed time, never beyond its burst', async (store) => {
    for (let i = 0; i < 3; i++) await take(store, 0);
    assert.deepEqual([await take(store, 1000), await take(store, 1000), await take(store, 1000)], [0, 0, 500], 'two tokens in a second');
    const later = 60 * MIN;
    assert.deepEqual([await take(store, later), await take(store, later), await take(store, later), await take(store, later)], [0, 0, 0, 500], 'an hour fills it to its burst only');
  });

  t('quota: a clock behind the bucket (another instance asked a moment later) takes no token early', async (store) => {
    for (let i = 0; i < 3; i++) await take(store, 1000);
    assert.equal(await take(store, 900), 600, 'the wait from the stale instant, not a grant');
  });

  t('quota: drain empties the bucket (Amazon said 429); the next token comes one interval later', async (store) => {
    assert.equal(await take(store, 0), 0);
    await store.work.quota.drain(Q.key, T0 + 100);
    assert.equal(await take(store, 100), 500);
    assert.equal(await take(store, 600), 0);
    await store.work.quota.drain('nobody/getOrder', T0);
    assert.equal(await take(store, 0, 'nobody/getOrder'), 0, 'draining a bucket never taken from changes nothing');
  });

  t('quota: the rate and burst Amazon says apply from then on; the seed a caller passes does not override them', async (store) => {
    assert.equal(await take(store, 0), 0);
    await store.work.quota.setRate(Q.key, 4, 2);
    assert.deepEqual([await take(store, MIN), await take(store, MIN), await take(store, MIN)], [0, 0, 250], 'burst 2, one token per 250 ms');
    await store.work.quota.setRate(Q.key, 1);
    assert.deepEqual([await take(store, 2 * MIN), await take(store, 2 * MIN), await take(store, 2 * MIN)], [0, 0, 1000], 'the burst kept when not given');
    await assert.rejects(store.work.quota.take(Q.key, 0, 1, T0), /rate must be a positive number/);
  });

  t('quota: concurrent takes at one instant grant exactly the burst', async (store) => {
    const waits = await Promise.all(Array.from({ length: 10 }, () => take(store, 0)));
    assert.equal(waits.filter((w) => w === 0).length, Q.burst);
  });

  t('read-only: a read-only store on the database reads what the flows read-then-write (orders, cursors, exceptions, messages) and writes nothing', async (store) => {
    if (!options.readOnlyOf) throw new Error(`${name}: the contract was given no way to open a read-only store on one database (options.readOnlyOf)`);
    const order = orderRecord();
    const blob = await store.blobs.putBuffer(Buffer.from('ISA*read-only'));
    const fileId = await store.recordFile({ direction: 'out', partner: 'reno-wms', fileName: 'ro.edi', sha256: blob.sha256, size: blob.size, status: 'ready', children: [] });
    let exceptionId = 0;
    await store.transaction(async (w) => {
      await w.orders.put(order);
      await w.cursors.set('orders:acme', at(3), at());
      exceptionId = (await w.exceptions.raise({ kind: 'unmapped-sku', key: 'SKU-1', seller: 'acme', message: 'no mapping', now: at() })).id;
      await w.messages.setDelivery(fileId, 'delivered', at(1), undefined, '/in');
    });
    const ro = await options.readOnlyOf(store);
    try {
      // Each of these is a locking read inside the flows' transactions (FOR UPDATE on PostgreSQL).
      assert.equal((await ro.work.orders.get('acme', order.orderId))?.state, 'new');
      assert.equal(await ro.work.cursors.get('orders:acme'), at(3));
      assert.equal((await ro.work.exceptions.get(exceptionId))?.key, 'SKU-1');
      assert.equal((await ro.work.messages.axes(fileId))?.delivery, 'delivered');
      assert.equal((await ro.work.orders.list({ seller: 'acme' })).length, 1);
      await assert.rejects(ro.transaction(async () => undefined), /read-only/);
      await assert.rejects(ro.work.cursors.set('orders:acme', at(9), at()), /read-?only/i);
      assert.throws(() => ro.controlNumbers.next('reno-wms', 'ISA13'), /read-only/);
      assert.equal(await store.work.cursors.get('orders:acme'), at(3), 'nothing was written');
    } finally {
      await ro.close();
    }
  });

  t('quota: two stores on one database share one bucket', async (store) => {
    if (!options.sameDatabase) throw new Error(`${name}: the contract was given no way to open a second store on one database (options.sameDatabase)`);
    const other = await options.sameDatabase(store);
    try {
      assert.equal(await take(store, 0), 0);
      assert.equal(await take(other, 0), 0);
      assert.equal(await take(store, 0), 0);
      assert.equal(await take(other, 0), 500, 'the burst of three was spent by both together');
      const waits = await Promise.all(Array.from({ length: 8 }, (_, i) => take(i % 2 ? store : other, 2000)));
      assert.equal(waits.filter((w) => w === 0).length, 3, 'together they take what the bucket holds, no more');
      await other.work.quota.drain(Q.key, T0 + 10 * MIN);
      assert.equal(await take(store, 10 * MIN), 500, 'a 429 one of them met empties the bucket for both');
    } finally {
      await other.close();
    }
  });
}
