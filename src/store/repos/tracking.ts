/**
 * The message log as the flows use it inside a work transaction (MessageTracking): the log's own
 * writes, run directly on the transaction, and the status axes of outbound messages. Every axis
 * change is also a message_events row, "delivery: pending -> delivery: delivered", with its
 * reason, so `messages show` tells when each transition happened.
 */
import { StoreError } from '../errors.ts';
import { queries } from '../sql/queries.ts';
import type { SqlRunner } from '../sql/runner.ts';
import { toMessage, type MessageDbRow } from '../message-rows.ts';
import { isoTime, oneOf } from '../states.ts';
import type { FileRecord, MessageRow } from '../store.ts';
import {
  ACK_STATES,
  DELIVERY_STATES,
  VALIDATION_STATES,
  type AckState,
  type DeliveryState,
  type MessageAxes,
  type MessageTracking,
  type ValidationState,
} from '../work.ts';

/**
 * The log's own writes, supplied by the store (they also touch the blob store and the received
 * interchange keys), run on the transaction the caller holds, without one of their own.
 */
export interface MessageWrites {
  recordFile(record: FileRecord): Promise<number>;
  setStatus(id: number, status: string, reason?: string, completed?: boolean, now?: string): Promise<void>;
  setContainsPii(id: number, containsPii: boolean): Promise<void>;
}

/** Acknowledgement states that are a verdict from the partner (acked_at is set). */
const VERDICTS: ReadonlySet<AckState> = new Set(['accepted', 'accepted-with-errors', 'partially-accepted', 'rejected']);

interface AxesRow {
  id: number;
  status: string;
  validation: string | null;
  delivery: string | null;
  delivered_at: string | null;
  remote_dir: string | null;
  ack_state: string | null;
  acked_at: string | null;
  ack_due_at: string | null;
}

export class SqlTracking implements MessageTracking {
  private readonly q: Record<string, string>;
  constructor(
    private readonly sql: SqlRunner,
    private readonly writes: MessageWrites,
  ) {
    this.q = queries(sql.dialect, 'tracking.sql');
  }

  async recordFile(record: FileRecord): Promise<number> {
    return this.writes.recordFile(record);
  }

  /** `now`: when it happened (the flow's clock); the default is the system time. */
  async setStatus(id: number, status: string, reason?: string, completed?: boolean, now?: string): Promise<void> {
    await this.writes.setStatus(id, status, reason, completed, now === undefined ? undefined : isoTime(now, 'now'));
  }

  async setContainsPii(id: number, containsPii: boolean): Promise<void> {
    await this.writes.setContainsPii(id, containsPii);
  }

  async children(id: number): Promise<MessageRow[]> {
    return (await this.sql.all<MessageDbRow>(this.q.children, id)).map(toMessage);
  }

  /** The axes as they stand, locked (PostgreSQL) until the change is written: its event names the state it left. */
  private async row(id: number): Promise<AxesRow> {
    const r = await this.sql.get<AxesRow>(this.q.lockAxes, id);
    if (!r) throw new StoreError(`no message ${id}`, { id });
    return r;
  }

  /** One axis changed: the column (by `update`) and, when its value changes, an event. */
  private async change(id: number, axis: string, before: string | null, state: string, now: string, reason: string | undefined, update: () => Promise<unknown>): Promise<void> {
    await update();
    if (before !== state) await this.sql.run(this.q.axisEvent, { id, now, from: `${axis}: ${before ?? 'none'}`, to: `${axis}: ${state}`, reason: reason ?? null });
  }

  async setValidation(id: number, state: ValidationState, now: string, reason?: string): Promise<void> {
    const s = oneOf(VALIDATION_STATES, state, 'validation state');
    const at = isoTime(now, 'now');
    const r = await this.row(id);
    await this.change(id, 'validation', r.validation, s, at, reason, () => this.sql.run(this.q.setValidation, { id, state: s, now: at }));
  }

  /** `remoteDir`: where on the partner's server it was put (the not-picked-up check looks there). */
  async setDelivery(id: number, state: DeliveryState, now: string, reason?: string, remoteDir?: string): Promise<void> {
    const s = oneOf(DELIVERY_STATES, state, 'delivery state');
    const at = isoTime(now, 'now');
    const r = await this.row(id);
    await this.change(id, 'delivery', r.delivery, s, at, reason, () => this.sql.run(this.q.setDelivery, { id, state: s, now: at, remoteDir: remoteDir ?? null }));
  }

  async setAcknowledgement(id: number, state: AckState, now: string, reason?: string, dueAt?: string): Promise<void> {
    const s = oneOf(ACK_STATES, state, 'acknowledgement state');
    const at = isoTime(now, 'now');
    const r = await this.row(id);
    // An awaited acknowledgement without a due time would never become overdue.
    if (s === 'awaiting' && dueAt === undefined && r.ack_due_at === null) {
      throw new StoreError(`message ${id}: awaiting an acknowledgement needs the time it becomes overdue`, { id });
    }
    await this.change(id, 'acknowledgement', r.ack_state, s, at, reason, () =>
      this.sql.run(this.q.setAcknowledgement, { id, state: s, now: at, verdict: VERDICTS.has(s) ? 1 : 0, dueAt: dueAt === undefined ? null : isoTime(dueAt, 'dueAt') }),
    );
  }

  async axes(id: number): Promise<MessageAxes | null> {
    const r = await this.sql.get<AxesRow>(this.q.axesOf, id);
    if (!r) return null;
    return {
      validation: r.validation as ValidationState | null,
      delivery: r.delivery as DeliveryState | null,
      deliveredAt: r.delivered_at,
      acknowledgement: r.ack_state as AckState | null,
      acknowledgedAt: r.acked_at,
      ackDueAt: r.ack_due_at,
    };
  }

  async ackOverdue(now: string, limit = 1000): Promise<Array<{ id: number; partner: string | null; kind: string; control: string | null; dueAt: string }>> {
    const rows = await this.sql.all<{ id: number; partner: string | null; kind: string; control: string | null; ack_due_at: string }>(this.q.ackOverdue, { now: isoTime(now, 'now'), limit });
    return rows.map((r) => ({ id: r.id, partner: r.partner, kind: r.kind, control: r.control, dueAt: r.ack_due_at }));
  }

  async deliveredUnconfirmed(partner: string, limit = 1000): Promise<Array<{ id: number; fileName: string; deliveredAt: string; remoteDir: string | null }>> {
    const rows = await this.sql.all<{ id: number; file_name: string; delivered_at: string; remote_dir: string | null }>(this.q.deliveredUnconfirmed, { partner, limit });
    return rows.map((r) => ({ id: r.id, fileName: r.file_name, deliveredAt: r.delivered_at, remoteDir: r.remote_dir }));
  }

  async unprocessedReceived(partner: string, limit = 1000): Promise<Array<{ id: number; fileName: string; sha256: string }>> {
    const rows = await this.sql.all<{ id: number; file_name: string; blob_sha256: string }>(this.q.unprocessedReceived, { partner, limit });
    return rows.map((r) => ({ id: r.id, fileName: r.file_name, sha256: r.blob_sha256 }));
  }
}
