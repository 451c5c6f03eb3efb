/** The local-directory transport: a folder (or a mounted share) with the same guarantees as SFTP. */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkDir, checkName, temporaryName, TransportError, type RemoteFile, type Transport } from './transport.ts';

function mapError(e: unknown, path: string): TransportError {
  const code = (e as NodeJS.ErrnoException).code;
  const message = `${path}: ${(e as Error).message}`;
  if (code === 'ENOENT') return new TransportError(message, 'not-found', path);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new TransportError(message, 'permission', path);
  if (code === 'ENOSPC' || code === 'EFBIG' || code === 'EDQUOT') return new TransportError(message, 'full', path);
  if (code === 'EEXIST') return new TransportError(message, 'exists', path);
  return new TransportError(message, 'other', path);
}

export class DirectoryTransport implements Transport {
  readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }

  get describe(): string {
    return `dir:${this.root}`;
  }

  private path(dir: string, name?: string): string {
    checkDir(dir, this.describe);
    const base = join(this.root, dir.replace(/^\/+/, ''));
    return name === undefined ? base : join(base, name);
  }

  async connect(): Promise<void> {
    try {
      await stat(this.root);
    } catch (e) {
      throw mapError(e, this.root);
    }
  }

  async list(dir: string): Promise<RemoteFile[]> {
    const base = this.path(dir);
    try {
      const entries = await readdir(base, { withFileTypes: true });
      const out: RemoteFile[] = [];
      for (const e of entries) {
        if (!e.isFile()) continue;
        const s = await stat(join(base, e.name));
        out.push({ name: e.name, size: s.size, mtimeMs: s.mtimeMs });
      }
      return out.sort((a, b) => a.name.localeCompare(b.name));
    } catch (e) {
      throw mapError(e, base);
    }
  }

  async read(dir: string, name: string): Promise<Readable> {
    const p = this.path(dir, checkName(name, this.describe));
    try {
      await stat(p);
    } catch (e) {
      throw mapError(e, p);
    }
    return createReadStream(p);
  }

  async put(dir: string, name: string, data: Buffer | Readable): Promise<void> {
    checkName(name, this.describe);
    const final = this.path(dir, name);
    const temp = this.path(dir, temporaryName(name));
    try {
      await stat(final).then(
        () => {
          throw Object.assign(new Error('a file with this name is already there'), { code: 'EEXIST' });
        },
        (e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        },
      );
      await pipeline(Buffer.isBuffer(data) ? Readable.from([data]) : data, createWriteStream(temp));
      // The bytes are on disk before the name appears.
      const fh = await open(temp, 'r');
      await fh.sync();
      await fh.close();
      await rename(temp, final);
    } catch (e) {
      await unlink(temp).catch(() => undefined);
      throw mapError(e, final);
    }
  }

  async move(dir: string, name: string, toDir: string, newName = name): Promise<void> {
    checkName(name, this.describe);
    checkName(newName, this.describe);
    const to = this.path(toDir);
    try {
      await mkdir(to, { recursive: true });
      await rename(this.path(dir, name), join(to, newName));
    } catch (e) {
      throw mapError(e, this.path(dir, name));
    }
  }

  async delete(dir: string, name: string): Promise<void> {
    try {
      await unlink(this.path(dir, checkName(name, this.describe)));
    } catch (e) {
      throw mapError(e, this.path(dir, name));
    }
  }

  async disconnect(): Promise<void> {}
}
