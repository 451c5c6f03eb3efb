/**
 * Taking files from a partner's directory, bytes only: which files are complete (their size and
 * time the same on two looks a few seconds apart, or their done-marker there, or no longer under
 * a temporary name), a complete file's bytes streamed to whoever takes them, and the remote file
 * archived or deleted when told. Recording what was taken is the inbound flow's step
 * (src/flows/inbound.ts): it archives only after the bytes are stored and the file recorded.
 */
import type { Readable } from 'node:stream';
import { checkName, type RemoteFile, type Transport } from './transport.ts';

export type Completeness =
  /** Same size and modification time on two looks, the second a few seconds after the first. */
  | { mode: 'stable' }
  /** A marker file NAME + suffix says NAME is complete (the marker is removed with it). */
  | { mode: 'marker'; suffix: string }
  /** Files are written under a temporary name (a prefix or suffix) and renamed when complete. */
  | { mode: 'temp-name'; prefix?: string; suffix?: string };

export interface InboundOptions {
  dir: string;
  completeness: Completeness;
  /** After the file is taken and recorded: move to this directory, or delete. */
  after: { archive: string } | { delete: true };
  /** Only names matching this are taken (default: all). */
  pattern?: RegExp;
}

/** A file complete on the partner's side, ready to take. */
export interface CompleteFile extends RemoteFile {
  /** The done-marker that says it is complete (marker rule): archived or deleted with it. */
  marker?: string;
}

export interface Look {
  complete: CompleteFile[];
  /** Seen but not complete yet. */
  waiting: string[];
  /** Names refused (path tricks, odd characters), left where they are. */
  refused: Array<{ name: string; reason: string }>;
}

/** How the two looks of the stable rule are spaced: the flow's clock, so tests move time instead of waiting. */
export interface SecondLook {
  sleep(ms: number): Promise<void>;
  ms: number;
}

export class InboundDirectory {
  /** Names in the archive, listed once per look and kept up to date as files are moved there. */
  private archived: Set<string> | null = null;

  constructor(
    private readonly transport: Transport,
    readonly options: InboundOptions,
  ) {}

  private async listUsable(refused: Look['refused'] | null): Promise<RemoteFile[]> {
    const o = this.options;
    const listed = await this.transport.list(o.dir);
    const usable: RemoteFile[] = [];
    // Our own temporary names and hidden files are never partner files.
    for (const f of listed.filter((x) => !x.name.startsWith('.'))) {
      try {
        checkName(f.name, `${this.transport.describe} ${o.dir}`);
        if (!o.pattern || o.pattern.test(f.name) || (o.completeness.mode === 'marker' && f.name.endsWith(o.completeness.suffix))) usable.push(f);
      } catch (e) {
        refused?.push({ name: f.name, reason: (e as Error).message });
      }
    }
    return usable;
  }

  /**
   * Which files are complete now. The stable rule looks twice within this call, `second.ms`
   * apart: a file is complete when its size and modification time did not change in between
   * (a file still being written grows, or is touched). No second look when nothing is there.
   */
  async look(second: SecondLook): Promise<Look> {
    this.archived = null;
    const c = this.options.completeness;
    const out: Look = { complete: [], waiting: [], refused: [] };
    const files = await this.listUsable(out.refused);
    if (c.mode === 'marker') {
      const names = new Set(files.map((f) => f.name));
      for (const f of files) {
        if (f.name.endsWith(c.suffix)) continue;
        if (names.has(f.name + c.suffix)) out.complete.push({ ...f, marker: f.name + c.suffix });
        else out.waiting.push(f.name);
      }
      return out;
    }
    if (c.mode === 'temp-name') {
      for (const f of files) {
        if ((c.prefix && f.name.startsWith(c.prefix)) || (c.suffix && f.name.endsWith(c.suffix))) out.waiting.push(f.name);
        else out.complete.push(f);
      }
      return out;
    }
    if (files.length === 0) return out;
    const first = new Map(files.map((f) => [f.name, `${f.size}/${f.mtimeMs}`]));
    await second.sleep(second.ms);
    const again = await this.listUsable(null);
    for (const f of again) {
      if (first.get(f.name) === `${f.size}/${f.mtimeMs}`) out.complete.push(f);
      else out.waiting.push(f.name);
    }
    return out;
  }

  /** The file's bytes, streamed into `sink` (the blob store): never held whole in memory. */
  async take<T>(name: string, sink: (bytes: Readable) => Promise<T>): Promise<T> {
    return sink(await this.transport.read(this.options.dir, name));
  }

  /**
   * Archive (or delete) a file taken and recorded, with its marker. An archive already holding the
   * name (a partner reusing names) keeps both: the newcomer gets `now` appended. Returns the
   * name it was archived under (null: deleted).
   */
  async finish(file: { name: string; marker?: string }, now: Date): Promise<string | null> {
    const o = this.options;
    let as: string | null = null;
    for (const n of [file.name, file.marker].filter((x): x is string => !!x)) {
      if ('archive' in o.after) {
        this.archived ??= new Set((await this.transport.list(o.after.archive).catch(() => [])).map((f) => f.name));
        const name = this.archived.has(n) ? `${n}.${now.toISOString().replace(/[-:.]/g, '')}` : n;
        await this.transport.move(o.dir, n, o.after.archive, name);
        this.archived.add(name);
        as ??= name;
      } else await this.transport.delete(o.dir, n);
    }
    return as;
  }
}
