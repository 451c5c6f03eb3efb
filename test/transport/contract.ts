/**
 * The contract every transport keeps, run against the directory transport and against SFTP on
 * a real sshd: what a put shows, never a partial file, names refused, moves and deletes, 1,000
 * small files, a 100 MB file both ways with its hash checked, and the inbound and outbound rules
 * on top (completeness, archived only when the taker says, delivered only after
 * the rename).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import type { MessageStore } from '../../src/store/store.ts';
import { InboundDirectory } from '../../src/transport/inbound.ts';
import { deliver } from '../../src/transport/outbound.ts';
import { TransportError, type Transport } from '../../src/transport/transport.ts';

export interface Fixture {
  transport: Transport;
  /** A fresh writable directory for one test (relative to the transport's root). */
  dir(name: string): string;
  /** Put a file there behind the transport's back (the partner writing). */
  write(dir: string, name: string, data: Buffer): void;
  /** What is on disk (behind the transport's back). */
  exists(dir: string, name: string): boolean;
  close(): Promise<void>;
}

async function hashOf(stream: Readable): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    h.update(c);
    size += c.length;
  }
  return { sha256: h.digest('hex'), size };
}

/** A stream of `mb` MiB of random bytes, with its hash known at the end. */
function bigStream(mb: number): { stream: Readable; done: () => { sha256: string; size: number } } {
  const h = createHash('sha256');
  let left = mb;
  let size = 0;
  const stream = new Readable({
    read() {
      if (left-- <= 0) return this.push(null);
      const chunk = randomBytes(1024 * 1024);
      h.update(chunk);
      size += chunk.length;
      this.push(chunk);
    },
  });
  return { stream, done: () => ({ sha256: h.digest('hex'), size }) };
}

async function tempStore(): Promise<{ store: MessageStore; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-store-'));
  const store = await openStore({ dataDir: dir });
  return { store, close: async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  } };
}

export function transportContract(label: string, make: () => Promise<Fixture | string>): void {
  const run = (name: string, body: (f: Fixture) => Promise<void>) =>
    test(`${label}: ${name}`, { timeout: 180_000 }, async (t) => {
      const f = await make();
      if (typeof f === 'string') return t.skip(f);
      try {
        await body(f);
      } finally {
        await f.close();
      }
    });

  run('put shows the file under its final name only; read gives the bytes; an existing name is not overwritten', async (f) => {
    const dir = f.dir('basic');
    await f.transport.put(dir, 'a.edi', Buffer.from('ISA*...~'));
    assert.deepEqual((await f.transport.list(dir)).map((x) => [x.name, x.size]), [['a.edi', 8]]);
    assert.equal((await hashOf(await f.transport.read(dir, 'a.edi'))).size, 8);
    const again = (await f.transport.put(dir, 'a.edi', Buffer.from('other')).catch((e) => e)) as TransportError;
    assert.equal(again.kind, 'exists');
    assert.equal((await hashOf(await f.transport.read(dir, 'a.edi'))).size, 8);
    const missing = (await f.transport.read(dir, 'nothing.edi').catch((e) => e)) as TransportError;
    assert.equal(missing.kind, 'not-found');
  });

  run('names with path tricks or odd characters are refused', async (f) => {
    const dir = f.dir('names');
    for (const bad of ['../escape.edi', 'a/b.edi', '.hidden', 'semi;colon', 'new\nline', '']) {
      const e = (await f.transport.put(dir, bad, Buffer.from('x')).catch((x) => x)) as TransportError;
      assert.equal(e.kind, 'bad-name', bad);
    }
    const e = (await f.transport.list('../..').catch((x) => x)) as TransportError;
    assert.equal(e.kind, 'bad-name');
  });

  run('move to an archive directory and delete', async (f) => {
    const dir = f.dir('moves');
    await f.transport.put(dir, 'one.csv', Buffer.from('1'));
    await f.transport.put(dir, 'two.csv', Buffer.from('2'));
    await f.transport.move(dir, 'one.csv', `${dir}/archive`);
    await f.transport.delete(dir, 'two.csv');
    assert.deepEqual(await f.transport.list(dir), []);
    assert.deepEqual((await f.transport.list(`${dir}/archive`)).map((x) => x.name), ['one.csv']);
  });

  run('1,000 small files up (as deliveries), listed and read back', async (f) => {
    const dir = f.dir('many');
    const sums = new Map<string, string>();
    const retries: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const data = Buffer.from(`file ${i} ${'x'.repeat(i % 97)}`);
      const name = `f${String(i).padStart(4, '0')}.txt`;
      sums.set(name, createHash('sha256').update(data).digest('hex'));
      await deliver(f.transport, dir, name, data, {
        baseDelayMs: 50,
        onRetry: (n, e) => {
          retries.push(`${name}: ${e.message}`);
          process.stderr.write(`note: ${label}: retrying ${name} (${n}): ${e.kind}: ${e.message}\n`);
        },
      });
    }
    // A dropped connection is reconnected and the delivery completes; say so if it happened.
    if (retries.length) process.stderr.write(`note: ${label} small files: ${retries.length} retried delivery(ies): ${retries.slice(0, 3).join('; ')}\n`);
    const listed = await f.transport.list(dir);
    assert.equal(listed.length, 1000);
    for (const l of listed.slice(0, 1000)) assert.equal((await hashOf(await f.transport.read(dir, l.name))).sha256, sums.get(l.name));
  });

  run('a 100 MB file both ways, streamed, hash checked', async (f) => {
    const dir = f.dir('big');
    const up = bigStream(100);
    await f.transport.put(dir, 'big.bin', up.stream);
    const sent = up.done();
    const back = await hashOf(await f.transport.read(dir, 'big.bin'));
    assert.deepEqual(back, sent);
  });

  run('inbound: complete files only (two looks apart, a done-marker, a temporary name); bytes streamed to the taker; archived only when told, a reused name kept beside the first', async (f) => {
    const dir = f.dir('inbound');
    const { store, close } = await tempStore();
    try {
      const inbound = new InboundDirectory(f.transport, { dir, completeness: { mode: 'stable' }, after: { archive: `${dir}/archive` } });
      // The partner still writing between the two looks: not complete in this look.
      f.write(dir, '945_1.edi', Buffer.from('fir'));
      const slept: number[] = [];
      const growing = await inbound.look({ ms: 3000, sleep: async (ms) => {
        slept.push(ms);
        f.write(dir, '945_1.edi', Buffer.from('first'));
      } });
      assert.deepEqual([growing.complete, growing.waiting, slept], [[], ['945_1.edi'], [3000]]);
      // Left alone between the looks: complete.
      const still = await inbound.look({ ms: 3000, sleep: async (ms) => void slept.push(ms) });
      assert.deepEqual([still.complete.map((x) => [x.name, x.size]), still.waiting], [[['945_1.edi', 5]], []]);
      const blob = await inbound.take('945_1.edi', (bytes) => store.blobs.putStream(bytes));
      assert.equal((await store.blobs.read(blob.sha256)).toString(), 'first');
      // Taking moves nothing: the file stays until the taker has recorded it and says finish.
      assert.deepEqual((await f.transport.list(dir)).map((x) => x.name), ['945_1.edi']);
      assert.equal(await inbound.finish(still.complete[0], new Date('2026-11-24T22:00:00Z')), '945_1.edi');
      assert.deepEqual((await f.transport.list(dir)).map((x) => x.name), []);
      // The same name again: archived beside the first, not over it.
      f.write(dir, '945_1.edi', Buffer.from('second'));
      const again = await inbound.look({ ms: 0, sleep: async () => undefined });
      assert.equal(await inbound.finish(again.complete[0], new Date('2026-11-24T22:00:00Z')), '945_1.edi.20261124T220000000Z');
      assert.deepEqual((await f.transport.list(`${dir}/archive`)).map((x) => x.name).sort(), ['945_1.edi', '945_1.edi.20261124T220000000Z']);
      // Nothing there: no second look is waited for.
      const empty = await inbound.look({ ms: 3000, sleep: async (ms) => void slept.push(ms) });
      assert.deepEqual([empty.complete, slept.length], [[], 2]);
      // A done-marker, and a temporary-name convention.
      f.write(dir, 'inv.csv', Buffer.from('a,b'));
      const marker = new InboundDirectory(f.transport, { dir, completeness: { mode: 'marker', suffix: '.done' }, after: { delete: true } });
      const none = async () => undefined;
      assert.deepEqual((await marker.look({ ms: 0, sleep: none })).waiting, ['inv.csv']);
      f.write(dir, 'inv.csv.done', Buffer.from(''));
      const marked = await marker.look({ ms: 0, sleep: none });
      assert.deepEqual(marked.complete.map((x) => [x.name, x.marker]), [['inv.csv', 'inv.csv.done']]);
      assert.equal(await marker.finish(marked.complete[0], new Date()), null);
      assert.deepEqual(await f.transport.list(dir), []);
      f.write(dir, 'tmp_orders.csv', Buffer.from('x'));
      const temp = new InboundDirectory(f.transport, { dir, completeness: { mode: 'temp-name', prefix: 'tmp_' }, after: { delete: true } });
      assert.deepEqual((await temp.look({ ms: 0, sleep: none })).waiting, ['tmp_orders.csv']);
    } finally {
      await close();
    }
  });

  run('outbound: an existing name is refused, not retried, and the file on the server left as it was', async (f) => {
    const dir = f.dir('outbound');
    await deliver(f.transport, dir, 'o.edi', Buffer.from('ISA~'));
    let slept = 0;
    const again = (await deliver(f.transport, dir, 'o.edi', Buffer.from('OTHER~'), { sleep: async () => void slept++ }).catch((e) => e)) as TransportError;
    assert.equal(again.kind, 'exists');
    assert.equal(slept, 0, 'a refusal is not retried');
    assert.equal((await hashOf(await f.transport.read(dir, 'o.edi'))).size, 4, 'the first bytes, not the refused ones');
  });
}
