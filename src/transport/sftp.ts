/**
 * The SFTP transport (ssh2-sftp-client): key or password authentication, the server's host key
 * pinned to the fingerprint in the partner's mapping file, timeouts, one connection per partner
 * with its operations in order, and reconnecting after a dropped connection.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PassThrough, Transform, type Readable } from 'node:stream';
import SftpClient from 'ssh2-sftp-client';
import { checkDir, checkName, joinRemote, temporaryName, TransportError, type RemoteFile, type Transport } from './transport.ts';

export interface SftpOptions {
  host: string;
  port: number;
  user: string;
  /** A private key (file contents) or a password: never both. */
  privateKey?: Buffer | string;
  password?: string;
  /**
   * The expected host key as OpenSSH prints it: SHA256:base64 without padding. Without one the
   * transport refuses to connect (`readHostKey` shows the key to pin).
   */
  hostKey?: string;
  /** Connection set-up and idle operation timeouts, ms. */
  timeoutMs?: number;
}

/** OpenSSH's fingerprint of a host key blob: SHA256:base64(sha256(blob)) without '=' padding. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** A partner's SFTP settings as the mapping file gives them. */
export interface SftpSettings {
  host: string;
  port: number;
  user: string;
  auth: { keyPath: string } | { passwordEnv: string };
  hostKey?: string;
}

/** The options for a partner's transport settings, reading the key file or the password variable. */
export function sftpOptionsFromMapping(t: SftpSettings, env: NodeJS.ProcessEnv = process.env): SftpOptions {
  if ('keyPath' in t.auth) {
    let key: Buffer;
    try {
      key = readFileSync(t.auth.keyPath);
    } catch (e) {
      throw new TransportError(`cannot read the private key ${t.auth.keyPath}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`, 'auth');
    }
    return { host: t.host, port: t.port, user: t.user, privateKey: key, hostKey: t.hostKey };
  }
  const password = env[t.auth.passwordEnv];
  if (!password) throw new TransportError(`environment variable ${t.auth.passwordEnv} (the SFTP password) is not set`, 'auth');
  return { host: t.host, port: t.port, user: t.user, password, hostKey: t.hostKey };
}

/** sftp://user@host:port, for messages. */
export function describeServer(o: { host: string; port: number; user: string }): string {
  return `sftp://${o.user}@${o.host}:${o.port}`;
}

/** A quiet client: its default listeners print to the console; what happens to the connection is ours to report. */
function newClient(): SftpClient {
  const quiet = () => undefined;
  return new SftpClient('dockgate', { error: quiet, end: quiet, close: quiet });
}

/**
 * The fingerprint of the server's host key, read before any authentication: the connection
 * is refused as soon as the server has shown its key, so no credential is sent to a server
 * that is not pinned yet.
 */
export async function readHostKey(server: { host: string; port: number; user: string; timeoutMs?: number }): Promise<string> {
  const client = newClient();
  let seen: string | null = null;
  try {
    await client.connect({
      host: server.host,
      port: server.port,
      username: server.user,
      readyTimeout: server.timeoutMs ?? 20_000,
      retries: 0,
      hostVerifier: (key: Buffer) => {
        seen = fingerprint(key);
        return false;
      },
    });
  } catch (e) {
    if (!seen) throw mapError(e, undefined, describeServer(server));
  } finally {
    await client.end().catch(() => undefined);
  }
  if (!seen) throw new TransportError(`${describeServer(server)}: the server showed no host key`, 'host-key');
  return seen;
}

function mapError(e: unknown, path: string | undefined, describe: string): TransportError {
  const err = e as { code?: unknown; message?: string };
  const code = err?.code;
  const message = `${describe}${path ? ` ${path}` : ''}: ${err?.message ?? String(e)}`;
  if (e instanceof TransportError) return e;
  if (code === 2 || code === 'ENOENT' || /no such file/i.test(message)) return new TransportError(message, 'not-found', path);
  if (code === 3 || code === 'EACCES' || /permission denied/i.test(message)) return new TransportError(message, 'permission', path);
  if (/All configured authentication methods failed|authentication/i.test(message)) return new TransportError(message, 'auth', path);
  if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTCONN|not connected|No SFTP connection|Connection lost|socket|Timed out|end of file|end event|No response from server|closed|EPIPE|ERR_NOT_CONNECTED/i.test(`${String(code)} ${message}`)) return new TransportError(message, 'network', path);
  // SFTP v3 reports a full disk or a quota as a plain failure (4).
  if (code === 4 || /failure/i.test(message)) return new TransportError(message, 'full', path);
  return new TransportError(message, 'other', path);
}

export class SftpTransport implements Transport {
  private client: SftpClient | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  /** The host key the server last showed (for `dockgate sftp check` and for the mismatch error). */
  seenHostKey: string | null = null;

  constructor(private readonly options: SftpOptions) {
    if (!options.privateKey === !options.password) throw new TransportError('SFTP needs a private key or a password (one of them)', 'auth');
  }

  get describe(): string {
    return describeServer(this.options);
  }

  /** Operations on one connection run one after the other. */
  private serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async open(): Promise<SftpClient> {
    if (this.client) return this.client;
    const pinned = this.options.hostKey;
    if (!pinned) {
      throw new TransportError(`${this.describe}: the partner file pins no host key (transport.hostKey): refusing to connect; dockgate sftp check shows the server's key to pin`, 'host-key');
    }
    const client = newClient();
    let mismatch: string | null = null;
    try {
      await client.connect({
        host: this.options.host,
        port: this.options.port,
        username: this.options.user,
        ...(this.options.privateKey ? { privateKey: this.options.privateKey } : { password: this.options.password }),
        readyTimeout: this.options.timeoutMs ?? 20_000,
        // A server that stops answering is found by keepalives (not by an idle-socket timeout,
        // which would cut a connection that is merely waiting for the next poll).
        keepaliveInterval: 10_000,
        keepaliveCountMax: 3,
        retries: 0,
        hostVerifier: (key: Buffer) => {
          this.seenHostKey = fingerprint(key);
          if (this.seenHostKey !== pinned) mismatch = this.seenHostKey;
          return mismatch === null;
        },
      });
    } catch (e) {
      await client.end().catch(() => undefined);
      if (mismatch) {
        throw new TransportError(`${this.describe}: the server's host key is ${mismatch}, the partner file pins ${pinned}: refusing to connect (if the partner changed its key, check with them and update transport.hostKey)`, 'host-key');
      }
      throw mapError(e, undefined, this.describe);
    }
    client.on('error', () => {
      this.client = null;
    });
    client.on('end', () => {
      this.client = null;
    });
    client.on('close', () => {
      this.client = null;
    });
    this.client = client;
    return client;
  }

  /** Run an operation; a connection that failed is dropped, so the next call reconnects. */
  private async with<T>(path: string | undefined, run: (c: SftpClient) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      const c = await this.open();
      try {
        return await run(c);
      } catch (e) {
        const err = mapError(e, path, this.describe);
        if (err.kind === 'network') await this.drop();
        throw err;
      }
    });
  }

  private async drop(): Promise<void> {
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }

  connect(): Promise<void> {
    return this.serial(async () => {
      await this.open();
    });
  }

  async list(dir: string): Promise<RemoteFile[]> {
    checkDir(dir, this.describe);
    return this.with(dir, async (c) => {
      const entries = await c.list(dir);
      return entries
        .filter((e) => e.type === '-')
        .map((e) => ({ name: e.name, size: e.size, mtimeMs: e.modifyTime }))
        .sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  async read(dir: string, name: string): Promise<Readable> {
    checkDir(dir, this.describe);
    const path = joinRemote(dir, checkName(name, this.describe));
    return this.with(path, async (c) => {
      await c.stat(path);
      const source = c.createReadStream(path) as unknown as Readable;
      // The remote handle is closed after the last byte; a connection that ends before that
      // answer would make the stream emit an error nobody listens to any more. Errors before
      // the end reach the reader; the late ones are harmless and dropped.
      const out = new PassThrough();
      source.on('error', (e) => {
        if (!out.writableEnded) out.destroy(mapError(e, path, this.describe));
      });
      source.pipe(out);
      return out;
    });
  }

  async put(dir: string, name: string, data: Buffer | Readable): Promise<void> {
    checkDir(dir, this.describe);
    const final = joinRemote(dir, checkName(name, this.describe));
    const temp = joinRemote(dir, temporaryName(name));
    return this.with(final, async (c) => {
      if (await c.exists(final)) throw new TransportError(`${this.describe} ${final}: a file with this name is already there; not overwriting a partner's file`, 'exists', final);
      let sent = 0;
      const source = Buffer.isBuffer(data)
        ? ((sent = data.length), data)
        : data.pipe(
            new Transform({
              transform(chunk: Buffer, _enc, done) {
                sent += chunk.length;
                done(null, chunk);
              },
            }),
          );
      await c.put(source, temp);
      // A server that stops writing (a file-size limit, a full disk) may still answer OK: the
      // size is checked before the file gets its final name.
      const kept = (await c.stat(temp)).size;
      if (kept !== sent) {
        await c.delete(temp).catch(() => undefined);
        throw new TransportError(`${this.describe} ${final}: the server kept ${kept} of ${sent} bytes (full, or a file-size limit); not renamed`, 'full', final);
      }
      // Only a complete upload gets the final name.
      await c.rename(temp, final);
    });
  }

  async move(dir: string, name: string, toDir: string, newName = name): Promise<void> {
    checkDir(dir, this.describe);
    checkDir(toDir, this.describe);
    const from = joinRemote(dir, checkName(name, this.describe));
    checkName(newName, this.describe);
    return this.with(from, async (c) => {
      if (!(await c.exists(toDir))) await c.mkdir(toDir, true);
      await c.rename(from, joinRemote(toDir, newName));
    });
  }

  async delete(dir: string, name: string): Promise<void> {
    checkDir(dir, this.describe);
    const path = joinRemote(dir, checkName(name, this.describe));
    return this.with(path, async (c) => {
      await c.delete(path);
    });
  }

  disconnect(): Promise<void> {
    return this.serial(() => this.drop());
  }
}
