/**
 * Taking files from a partner: a file is taken only when it is complete (its size and time the
 * same on two looks, or its done-marker there, or no longer under a temporary name), streamed
 * into the raw-file store (content-addressed, fsynced) and recorded in the message log before
 * anything else; only then is the remote file archived or deleted. A file already taken (same
 * name, same bytes) is not taken twice; a name seen again with other bytes is taken and flagged.
 */
import type { MessageStore } from '../store/store.ts';
import { checkName, TransportError, type RemoteFile, type Transport } from './transport.ts';

export type Completeness =
  /** Same size and modification time on two consecutive looks. */
  | { mode: 'stable' }
  /** A marker file NAME + suffix says NAME is complete (the marker is removed with it). */
  | { mode: 'marker'; suffix: string }
  /** Files are written under a temporary name (a prefix or suffix) and renamed when complete. */
  | { mode: 'temp-name'; prefix?: string; suffix?: string };

export interface InboundOptions {
  partner: string;
  dir: string;
  completeness: Completeness;
  /** After recording: move to this directory, or delete. */
  after: { archive: string } | { delete: true };
  /** Only names matching this are taken (default: all). */
  pattern?: RegExp;
}

export interface TakenFile {
  name: string;
  messageId: number;
  sha256: string;
  size: number;
  /** Same name as an earlier file with other bytes. */
  flagged: boolean;
}

export interface PollResult {
  taken: TakenFile[];
  /** Already taken before (same name and bytes): archived or deleted again, not recorded twice. */
  skipped: string[];
  /** Seen but not complete yet. */
  waiting: string[];
  /** Names refused (path tricks, odd characters), left where they are. */
  refused: Array<{ name: string; reason: string }>;
  /** Files that could not be taken this time, with why (they stay for the next poll). */
  failed: Array<{ name: string; reason: string }>;
}

export class InboundPoller {
  /** The previous look, for the stable-size rule. */
  private previous = new Map<string, string>();

  constructor(
    private readonly transport: Transport,
    private readonly store: MessageStore,
    private readonly options: InboundOptions,
  ) {}

  private completeNow(files: RemoteFile[]): { complete: RemoteFile[]; waiting: string[]; markers: Map<string, string> } {
    const c = this.options.completeness;
    const markers = new Map<string, string>();
    const waiting: string[] = [];
    let complete: RemoteFile[] = [];
    if (c.mode === 'marker') {
      const names = new Set(files.map((f) => f.name));
      for (const f of files) {
        if (f.name.endsWith(c.suffix)) continue;
        if (names.has(f.name + c.suffix)) {
          complete.push(f);
          markers.set(f.name, f.name + c.suffix);
        } else waiting.push(f.name);
      }
    } else if (c.mode === 'temp-name') {
      for (const f of files) {
        if ((c.prefix && f.name.startsWith(c.prefix)) || (c.suffix && f.name.endsWith(c.suffix))) waiting.push(f.name);
        else complete.push(f);
      }
    } else {
      const now = new Map(files.map((f) => [f.name, `${f.size}/${f.mtimeMs}`]));
      complete = files.filter((f) => this.previous.get(f.name) === now.get(f.name));
      for (const f of files) if (!complete.includes(f)) waiting.push(f.name);
      this.previous = now;
    }
    return { complete, waiting, markers };
  }

  /** Names in the archive, listed once per poll and kept up to date as files are moved there. */
  private archived: Set<string> | null = null;

  private async finish(name: string, marker: string | undefined): Promise<void> {
    const o = this.options;
    // Gone from the directory: a file of the same name later is a new file, looked at twice again.
    this.previous.delete(name);
    for (const n of [name, marker].filter((x): x is string => !!x)) {
      if ('archive' in o.after) {
        this.archived ??= new Set((await this.transport.list(o.after.archive).catch(() => [])).map((f) => f.name));
        // An archive already holding the name (a partner reusing names) keeps both copies.
        const as = this.archived.has(n) ? `${n}.${new Date().toISOString().replace(/[-:.]/g, '')}` : n;
        await this.transport.move(o.dir, n, o.after.archive, as);
        this.archived.add(as);
      } else await this.transport.delete(o.dir, n);
    }
  }

  /** One look at the directory: take what is complete. */
  async poll(): Promise<PollResult> {
    const o = this.options;
    const result: PollResult = { taken: [], skipped: [], waiting: [], refused: [], failed: [] };
    this.archived = null;
    const listed = await this.transport.list(o.dir);
    // Our own temporary names and hidden files are never partner files.
    const files = listed.filter((f) => !f.name.startsWith('.'));
    const usable: RemoteFile[] = [];
    for (const f of files) {
      try {
        checkName(f.name, `${this.transport.describe} ${o.dir}`);
        if (!o.pattern || o.pattern.test(f.name) || (o.completeness.mode === 'marker' && f.name.endsWith(o.completeness.suffix))) usable.push(f);
      } catch (e) {
        result.refused.push({ name: f.name, reason: (e as Error).message });
      }
    }
    const { complete, waiting, markers } = this.completeNow(usable);
    result.waiting = waiting;
    for (const f of complete) {
      try {
        const stream = await this.transport.read(o.dir, f.name);
        const blob = await this.store.blobs.putStream(stream);
        const earlier = this.store.receivedFiles(o.partner, f.name);
        if (earlier.some((m) => m.blobSha256 === blob.sha256)) {
          // Taken before: the earlier run recorded it but did not get to archive it.
          await this.finish(f.name, markers.get(f.name));
          result.skipped.push(f.name);
          continue;
        }
        const flagged = earlier.length > 0;
        const messageId = await this.store.recordFile({
          direction: 'in',
          partner: o.partner,
          fileName: f.name,
          sha256: blob.sha256,
          size: blob.size,
          // What the file holds is known once it is read: until then it may carry buyer data.
          // It is complete when processed (the flow says so), not when taken.
          containsPii: true,
          status: flagged ? 'received-name-reused' : 'received',
          ...(flagged && { statusReason: `the name ${f.name} was received before (message ${earlier.map((m) => m.id).join(', ')}) with other bytes` }),
          children: [],
        });
        result.taken.push({ name: f.name, messageId, sha256: blob.sha256, size: blob.size, flagged });
        await this.finish(f.name, markers.get(f.name));
      } catch (e) {
        if (!(e instanceof TransportError)) throw e;
        result.failed.push({ name: f.name, reason: e.message });
        if (e.kind === 'network') break;
      }
    }
    return result;
  }
}
