/**
 * Raw files on disk, content-addressed by the sha256 of their bytes: raw/ab/cd/<sha256>.
 *
 * Written to a temporary file in the same tree while hashing (never held whole in memory),
 * fsynced, renamed into place and the directory fsynced, all before any row refers to them.
 * Optional encryption at rest with AES-256-GCM: the file holds MAGIC | 12-byte IV |
 * ciphertext | 16-byte tag, and keeps the address of its plaintext so identical files dedupe.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { open as openFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobIntegrityError, StoreError, StoreKeyError } from './errors.ts';
import type { BlobStore } from './store.ts';

const MAGIC = Buffer.from('DGB1');
const IV_LENGTH = 12;
const TAG_LENGTH = 16;

/** Parse a 32-byte key given as 64 hex characters or base64. */
export function parseKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) throw new StoreKeyError('the store key must be 32 bytes: 64 hex characters or base64 of 32 bytes');
  return key;
}

async function fsyncPath(path: string, directory = false): Promise<void> {
  const fh = await openFile(path, directory ? 'r' : 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Temporary names: the writer's pid, so that a leftover can be told from a file being written. */
const TEMP_NAME = /^(\d+)-[0-9a-f]{16}$/;

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class FileBlobStore implements BlobStore {
  private readonly tmpDir: string;

  /**
   * Read-only: nothing is created (a missing tree reads as empty). Otherwise the tree is made
   * and the leftovers of writers that died are removed.
   */
  constructor(
    private readonly root: string,
    private readonly key: Buffer | null,
    private readonly readOnly = false,
  ) {
    this.tmpDir = join(root, 'tmp');
    if (readOnly) return;
    mkdirSync(this.tmpDir, { recursive: true });
    this.removeLeftovers();
  }

  /**
   * A temporary file whose writer is gone (a crash, kill -9) was never referenced by any row, and
   * holds the file in clear when no key is set: it is deleted. Files of live writers are kept.
   */
  private removeLeftovers(): void {
    for (const name of readdirSync(this.tmpDir)) {
      const m = TEMP_NAME.exec(name);
      if (m && processAlive(Number(m[1]))) continue;
      rmSync(join(this.tmpDir, name), { force: true, recursive: true });
    }
  }

  private refuseReadOnly(what: string): void {
    if (this.readOnly) throw new StoreError(`the store was opened read-only: no raw file can be ${what}`);
  }

  get encrypting(): boolean {
    return this.key !== null;
  }

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new StoreError(`not a sha256 content address: ${sha256}`);
    return join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  has(sha256: string): boolean {
    return existsSync(this.pathOf(sha256));
  }

  putBuffer(data: Buffer): Promise<{ sha256: string; size: number }> {
    return this.putStream(Readable.from([data]));
  }

  async putStream(data: Readable): Promise<{ sha256: string; size: number }> {
    this.refuseReadOnly('stored');
    const tmp = join(this.tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      const out = createWriteStream(tmp, { flags: 'wx' });
      if (this.key) {
        const iv = randomBytes(IV_LENGTH);
        const cipher = createCipheriv('aes-256-gcm', this.key, iv);
        out.write(Buffer.concat([MAGIC, iv]));
        await pipeline(data, count, cipher, out, { end: false });
        await new Promise<void>((resolve, reject) => out.end(cipher.getAuthTag(), (err?: Error | null) => (err ? reject(err) : resolve())));
      } else {
        await pipeline(data, count, out);
      }
      await fsyncPath(tmp);
      const sha256 = hash.digest('hex');
      const final = this.pathOf(sha256);
      if (existsSync(final)) {
        rmSync(tmp); // same bytes already stored: content addressing dedupes
      } else {
        const dir = join(this.root, sha256.slice(0, 2), sha256.slice(2, 4));
        mkdirSync(dir, { recursive: true });
        renameSync(tmp, final);
        await fsyncPath(dir, true);
      }
      return { sha256, size };
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }

  /**
   * Refuse a key that does not open this stored file (a small one: it is decrypted whole). Files
   * stored in clear say nothing about the key.
   */
  checkKey(sha256: string): void {
    const path = this.pathOf(sha256);
    if (!this.key || !existsSync(path)) return;
    const bytes = readFileSync(path);
    if (bytes.length < MAGIC.length + IV_LENGTH + TAG_LENGTH || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return;
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(MAGIC.length, MAGIC.length + IV_LENGTH));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_LENGTH));
    try {
      decipher.update(bytes.subarray(MAGIC.length + IV_LENGTH, bytes.length - TAG_LENGTH));
      decipher.final();
    } catch {
      throw new StoreKeyError(`the store key does not open the raw files already stored in ${this.root} (stored file ${sha256} fails its check): it is not the key they were written with, or that file was altered`, { sha256 });
    }
  }

  async open(sha256: string): Promise<Readable> {
    const path = this.pathOf(sha256);
    if (!existsSync(path)) throw new StoreError(`no stored file ${sha256}`, { sha256 });
    const fh = await openFile(path, 'r');
    let head: Buffer;
    let size: number;
    try {
      size = (await fh.stat()).size;
      head = Buffer.alloc(Math.min(size, MAGIC.length + IV_LENGTH));
      await fh.read(head, 0, head.length, 0);
    } finally {
      await fh.close();
    }
    const encrypted = head.length === MAGIC.length + IV_LENGTH && head.subarray(0, MAGIC.length).equals(MAGIC);
    if (!encrypted) return createReadStream(path);
    if (!this.key) throw new StoreError(`stored file ${sha256} is encrypted and no store key is set (DOCKGATE_STORE_KEY)`, { sha256 });
    if (size < MAGIC.length + IV_LENGTH + TAG_LENGTH) throw new BlobIntegrityError(`stored file ${sha256} is truncated`, { sha256 });
    const tag = Buffer.alloc(TAG_LENGTH);
    const fh2 = await openFile(path, 'r');
    try {
      await fh2.read(tag, 0, TAG_LENGTH, size - TAG_LENGTH);
    } finally {
      await fh2.close();
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, head.subarray(MAGIC.length));
    decipher.setAuthTag(tag);
    const body = createReadStream(path, { start: MAGIC.length + IV_LENGTH, end: size - TAG_LENGTH - 1 });
    body.on('error', (err) => decipher.destroy(err));
    body.pipe(decipher);
    // The GCM tag is checked when the last bytes pass: a wrong key or an altered byte fails there.
    async function* plaintext(): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of decipher) yield chunk as Buffer;
      } catch (err) {
        throw new BlobIntegrityError(`stored file ${sha256} failed its integrity check (wrong key or altered bytes): ${(err as Error).message}`, { sha256 });
      }
    }
    return Readable.from(plaintext());
  }

  async read(sha256: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await this.open(sha256)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  /** Delete a stored file (retention). Missing files are fine: deletion is idempotent. */
  remove(sha256: string): void {
    this.refuseReadOnly('deleted');
    rmSync(this.pathOf(sha256), { force: true });
  }

  async sizeOnDisk(sha256: string): Promise<number> {
    return (await stat(this.pathOf(sha256))).size;
  }
}
