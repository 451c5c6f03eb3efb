/**
 * Synchronous queries on PostgreSQL, for the few MessageStore calls that are synchronous by
 * contract (control numbers: the X12 writer draws while it writes; get / trace / list /
 * findSent / receivedFiles / hasInterchange / peekControlNumber, older than the async work
 * repositories). `pg` is asynchronous, so the query runs on a worker thread with its own
 * connection while this thread waits on a shared flag (Atomics.wait), then takes the answer
 * with receiveMessageOnPort. Only short statements go this way; everything else is async.
 *
 * Its connection is not the one of an open transaction: a synchronous read sees committed rows
 * only, and a control number drawn here is committed at once (a rolled-back file leaves a gap,
 * never a number handed out twice).
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { StoreError } from '../errors.ts';
import { compile } from './runner.ts';
import type { SqlParams } from '../sql/runner.ts';

/** How long a synchronous query may take before it is reported as hung. */
const ANSWER_TIMEOUT_MS = 60_000;

interface Answer {
  rows?: Array<Record<string, unknown>>;
  rowCount?: number;
  error?: { message: string; code?: string; detail?: string };
}

/** A PostgreSQL error from the synchronous connection, with its SQLSTATE. */
export class PostgresQueryError extends StoreError {
  override name = 'PostgresQueryError';
}

export class SyncPostgres {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag: Int32Array;
  private closed = false;
  private sequence = 0;

  constructor(connectionString: string) {
    const signal = new SharedArrayBuffer(4);
    this.flag = new Int32Array(signal);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL('./sync-worker.mjs', import.meta.url), { workerData: { connectionString, port: port2, signal }, transferList: [port2], execArgv: [] });
    // execArgv: [] — the worker is plain JavaScript: no loader (tsx) to start in it.
    // The gateway's lifetime is the event loop's: this thread must not keep it alive alone.
    this.worker.unref();
    this.port.unref();
  }

  /** One statement, better-sqlite3-style parameters (`@name` / `?`), answered synchronously. */
  query<T = Record<string, unknown>>(sql: string, params?: SqlParams): { rows: T[]; rowCount: number } {
    if (this.closed) throw new StoreError('the store is closed');
    const c = compile(sql);
    const values = c.names ? c.names.map((n) => (params as Record<string, unknown>)[n]) : params === undefined ? [] : Array.isArray(params) ? [...params] : [params];
    const id = ++this.sequence;
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage({ id, text: c.text, values });
    const a = this.answer(id, c.text);
    if (a.error) throw new PostgresQueryError(a.error.message, { code: a.error.code, detail: a.error.detail, sql: c.text });
    return { rows: (a.rows ?? []) as T[], rowCount: a.rowCount ?? 0 };
  }

  /**
   * Wait for the answer to query `id`. The worker posts the answer, then raises the flag; the
   * answer has been seen to arrive on this port a moment after the flag under load, so an
   * empty port is waited on again (briefly) rather than taken for no answer. An answer to an
   * earlier query (one that timed out) is dropped.
   */
  private answer(id: number, sql: string): Answer {
    const deadline = Date.now() + ANSWER_TIMEOUT_MS;
    for (;;) {
      const got = receiveMessageOnPort(this.port);
      if (got) {
        const a = got.message as Answer & { id: number };
        if (a.id === id) return a;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new StoreError(`PostgreSQL did not answer within ${ANSWER_TIMEOUT_MS / 1000} s`, { sql });
      // Flag still 0: sleep until the worker raises it. Flag 1 and no message yet: a short nap.
      if (Atomics.load(this.flag, 0) === 0) Atomics.wait(this.flag, 0, 0, left);
      else Atomics.wait(this.flag, 0, 1, Math.min(left, 5));
    }
  }

  get<T = Record<string, unknown>>(sql: string, params?: SqlParams): T | undefined {
    return this.query<T>(sql, params).rows[0];
  }

  all<T = Record<string, unknown>>(sql: string, params?: SqlParams): T[] {
    return this.query<T>(sql, params).rows;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    await this.worker.terminate();
  }
}
