/** The directory transport keeps the transport contract; what delivery records. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import { DirectoryTransport } from '../../src/transport/directory.ts';
import { deliver } from '../../src/transport/outbound.ts';
import { transportContract } from './contract.ts';

transportContract('directory', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dockgate-dir-'));
  const transport = new DirectoryTransport(root);
  await transport.connect();
  return {
    transport,
    dir: (name) => {
      mkdirSync(join(root, name), { recursive: true });
      return name;
    },
    write: (dir, name, data) => writeFileSync(join(root, dir, name), data),
    exists: (dir, name) => existsSync(join(root, dir, name)),
    close: async () => rmSync(root, { recursive: true, force: true }),
  };
});

test('directory: a delivery is complete unless an acknowledgement is awaited', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dockgate-dir-'));
  const store = openStore({ dataDir: join(root, 'data') });
  try {
    const transport = new DirectoryTransport(root);
    await transport.connect();
    mkdirSync(join(root, 'out'));
    const blob = await store.blobs.putBuffer(Buffer.from('ISA~'));
    const record = (fileName: string) => store.recordFile({ direction: 'out', partner: 'p', fileName, sha256: blob.sha256, size: 4, status: 'ready', containsPii: true, children: [] });
    const plain = await record('a.csv');
    await deliver(transport, 'out', 'a.csv', Buffer.from('ISA~'), { store, messageId: plain });
    assert.ok(store.get(plain)!.completedAt, 'no acknowledgement expected: delivered is complete');
    const awaited = await record('b.edi');
    await deliver(transport, 'out', 'b.edi', Buffer.from('ISA~'), { store, messageId: awaited, awaitsAcknowledgement: true });
    assert.deepEqual([store.get(awaited)!.status, store.get(awaited)!.completedAt], ['delivered', null]);
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
});
