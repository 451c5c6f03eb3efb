/** The directory transport keeps the transport contract; what delivery records. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DirectoryTransport } from '../../src/transport/directory.ts';
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
