/**
 * One small interface for moving files to and from a partner: SFTP (ssh2-sftp-client) and a
 * local directory (the demo, mounted shares). Both pass the same contract tests
 * (test/transport/contract.ts).
 */
import type { Readable } from 'node:stream';

export interface RemoteFile {
  name: string;
  size: number;
  /** Modification time, ms since the epoch. */
  mtimeMs: number;
}

export type TransportFailure = 'host-key' | 'auth' | 'permission' | 'not-found' | 'exists' | 'full' | 'network' | 'bad-name' | 'other';

export class TransportError extends Error {
  constructor(
    message: string,
    readonly kind: TransportFailure,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }

  /** Worth trying again (after reconnecting): the connection, not the request, failed. */
  get retryable(): boolean {
    return this.kind === 'network';
  }
}

export interface Transport {
  /** Where it goes, for messages: sftp://user@host:port or dir:/path. */
  readonly describe: string;
  connect(): Promise<void>;
  /** Regular files in a directory (no directories, no links). */
  list(dir: string): Promise<RemoteFile[]>;
  /** A readable stream of a file's bytes. */
  read(dir: string, name: string): Promise<Readable>;
  /** Write a file under a temporary name, then rename it: a partner never sees a partial file. */
  put(dir: string, name: string, data: Buffer | Readable): Promise<void>;
  /** Move a file into another directory (archive), keeping its name unless given another. */
  move(dir: string, name: string, toDir: string, newName?: string): Promise<void>;
  delete(dir: string, name: string): Promise<void>;
  disconnect(): Promise<void>;
}

/** The temporary name a file is written under before its rename (hidden, and never matching a pattern). */
export function temporaryName(name: string): string {
  return `.${name}.part`;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+@=-]{0,200}$/;

/**
 * A file name as it may come from a listing or a mapping file: one path component, no
 * traversal, no control or shell-special characters, not hidden.
 */
export function checkName(name: string, where: string): string {
  if (!SAFE_NAME.test(name) || name.includes('..')) {
    throw new TransportError(`${where}: refusing the file name ${JSON.stringify(name)} (one path component of letters, digits and . _ - + @ =, not hidden, no '..')`, 'bad-name', name);
  }
  return name;
}

/** A directory path from a mapping file: no '..', no odd characters. */
export function checkDir(dir: string, where: string): string {
  if (!/^\/?([A-Za-z0-9._-]+\/?)*$/.test(dir) || dir.split('/').includes('..')) {
    throw new TransportError(`${where}: refusing the directory ${JSON.stringify(dir)}`, 'bad-name', dir);
  }
  return dir;
}

export function joinRemote(dir: string, name: string): string {
  return dir === '' || dir === '.' ? name : `${dir.replace(/\/+$/, '')}/${name}`;
}
