/**
 * Paths the user names on the command line or in the configuration, checked before a command
 * works with them: a file to read must be a readable file (not a folder), a folder must be a
 * folder, an output file's folder must exist. A bad path is a usage error (exit 2) that names
 * the path and what is wrong with it, instead of a Node error from deep inside a reader.
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../config/config.ts';
import { UsageError } from './usage-error.ts';
import { shownPath } from './terminal-text.ts';

/** What is wrong with a path that could not be looked at, in words. */
function unreachable(e: unknown): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'does not exist';
    case 'ENOTDIR':
      return 'does not exist (a part of the path is a file, not a folder)';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be opened (permission denied)';
    case 'ELOOP':
      return 'cannot be opened (a loop of symbolic links)';
    case 'ENAMETOOLONG':
      return 'cannot be opened (the name is too long)';
    default:
      return `cannot be opened (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isSocket()) return 'a socket';
  if (s.isBlockDevice() || s.isCharacterDevice()) return 'a device';
  return 'not a regular file';
}

function look(path: string): Stats | string {
  try {
    return statSync(path);
  } catch (e) {
    return unreachable(e);
  }
}

function readable(path: string): string | null {
  try {
    accessSync(path, constants.R_OK);
    return null;
  } catch (e) {
    return unreachable(e);
  }
}

/**
 * A file to read: it exists, is a regular file (or a pipe, for `<(...)` and /dev/stdin) and
 * is readable. `what` says which file it is in the message ("seed file", "--skus file").
 */
export function requireInputFile(path: string, what = 'file'): string {
  const s = look(path);
  if (typeof s === 'string') throw new UsageError(`${what} ${shownPath(path)} ${s}`);
  if (!s.isFile() && !s.isFIFO()) throw new UsageError(`${what} ${shownPath(path)} is ${kindOf(s)}, not a file`);
  const denied = readable(path);
  if (denied) throw new UsageError(`${what} ${shownPath(path)} ${denied}`);
  return path;
}

export function requireInputFiles(paths: string[], what = 'file'): string[] {
  for (const p of paths) requireInputFile(p, what);
  return paths;
}

/** A folder to read: it exists, is a folder and can be listed. */
export function requireInputDir(path: string, what = 'folder'): string {
  const s = look(path);
  if (typeof s === 'string') throw new UsageError(`${what} ${shownPath(path)} ${s}`);
  if (!s.isDirectory()) throw new UsageError(`${what} ${shownPath(path)} is a file, not a folder`);
  const denied = readable(path);
  if (denied) throw new UsageError(`${what} ${shownPath(path)} ${denied}`);
  return path;
}

/** A file to write (-o): its folder exists and it is not itself a folder. */
export function requireOutputFile(path: string, what = 'output file'): string {
  const target = look(path);
  if (typeof target !== 'string' && target.isDirectory()) throw new UsageError(`${what} ${shownPath(path)} is a folder: name a file in it`);
  const folder = dirname(resolve(path));
  const s = look(folder);
  if (typeof s === 'string') throw new UsageError(`${what} ${shownPath(path)}: its folder ${shownPath(folder)} ${s}`);
  if (!s.isDirectory()) throw new UsageError(`${what} ${shownPath(path)}: ${shownPath(folder)} is a file, not a folder`);
  return path;
}

/**
 * The data directory (dataDir / DOCKGATE_DATA_DIR): a folder, or not there yet (the store
 * creates it). Anything else is a configuration error.
 */
export function requireDataDir(path: string): string {
  const s = look(path);
  const where = 'the data directory (dataDir in the configuration, or DOCKGATE_DATA_DIR)';
  if (typeof s === 'string') {
    if (s === 'does not exist') return path;
    throw new ConfigError(`${where} ${shownPath(path)} ${s}`);
  }
  if (!s.isDirectory()) throw new ConfigError(`${where} ${shownPath(path)} is a file, not a folder`);
  return path;
}
