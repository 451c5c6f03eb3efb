/**
 * The exception queue (ExceptionsRepo). A cause (kind, seller, partner, key) has at most one
 * unresolved row (the partial unique index exceptions_open_cause of migration 0003): seeing it
 * again bumps that row's count and adds the business key affected to its refs, so one unmapped
 * SKU on 50 orders is one exception listing the 50 orders. Once resolved, the same cause seen
 * again opens a new row. Queries in exceptions.sql (src/store/sqlite/sql, with PostgreSQL's own
 * where the dialects differ): there the open row is read locked, and two instances raising one
 * new cause at once insert it once, the second bumping the first's row.
 */
import { StoreError } from '../errors.ts';
import { queries } from '../sql/queries.ts';
import type { SqlRunner } from '../sql/runner.ts';
import { isoTime, oneOf } from '../states.ts';
import {
  EXCEPTION_KINDS,
  EXCEPTION_SEVERITIES,
  EXCEPTION_STATES,
  type ExceptionContext,
  type ExceptionKind,
  type ExceptionRecord,
  type ExceptionSeverity,
  type ExceptionsRepo,
  type ExceptionState,
  type RaiseException,
} from '../work.ts';

/** Refs kept per exception, most recent last: enough to act on, bounded for a cause seen for months. */
export const MAX_REFS = 500;

/**
 * How bad each kind is when the flow raising it does not say. Errors stop a business outcome
 * (an order not sent, a confirmation refused, an acknowledgement missing); warnings say
 * something is drifting (stock reports late, a file not yet taken, a short shipment).
 */
export const DEFAULT_SEVERITY: Partial<Record<ExceptionKind, ExceptionSeverity>> = {
  'unmapped-sku': 'error',
  'unmapped-carrier': 'error',
  'unsendable-text': 'error',
  'mapping-problem': 'error',
  'ack-overdue': 'error',
  'ack-rejected': 'error',
  'not-picked-up': 'warning',
  'order-late': 'error',
  'order-cancel-after-ship': 'error',
  'order-change-unsupported': 'error',
  'short-ship': 'warning',
  'over-ship': 'error',
  'inventory-stale': 'warning',
  'feed-error': 'error',
  'amazon-refused': 'error',
  'partner-data-rejected': 'error',
  'unknown-document': 'warning',
  'file-failed': 'error',
  'delivery-failed': 'error',
  'seller-unavailable': 'error',
  'partner-unavailable': 'error',
};

export function defaultSeverity(kind: ExceptionKind): ExceptionSeverity {
  return DEFAULT_SEVERITY[kind] ?? 'error';
}

interface ExceptionRow {
  id: number;
  kind: string;
  severity: string;
  seller: string | null;
  partner: string | null;
  key: string;
  message: string;
  context: string;
  refs: string;
  owner: string | null;
  state: string;
  note: string | null;
  first_seen: string;
  last_seen: string;
  count: number;
  resolved_at: string | null;
}

function toException(r: ExceptionRow): ExceptionRecord {
  return {
    id: r.id,
    kind: r.kind as ExceptionKind,
    severity: r.severity as ExceptionSeverity,
    seller: r.seller,
    partner: r.partner,
    key: r.key,
    message: r.message,
    context: JSON.parse(r.context) as ExceptionContext,
    refs: JSON.parse(r.refs) as string[],
    owner: r.owner,
    state: r.state as ExceptionState,
    note: r.note,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    count: r.count,
    resolvedAt: r.resolved_at,
  };
}

/** Add `ref` as the most recent, once, keeping the last MAX_REFS. */
function withRef(refs: string[], ref: string | undefined): string[] {
  if (ref === undefined) return refs;
  const out = refs.filter((r) => r !== ref);
  out.push(ref);
  return out.length > MAX_REFS ? out.slice(out.length - MAX_REFS) : out;
}

/** How many released refs an exception remembers (context.details.released). */
const RELEASED_CAP = 1000;

/** A new context for a cause seen again keeps the refs it released before. */
function keepReleased(next: ExceptionContext, previous: string): ExceptionContext {
  const released = (JSON.parse(previous) as ExceptionContext).details?.released;
  return Array.isArray(released) && released.length ? { ...next, details: { ...next.details, released } } : next;
}

export class SqlExceptions implements ExceptionsRepo {
  private readonly q: Record<string, string>;
  constructor(private readonly sql: SqlRunner) {
    this.q = queries(sql.dialect, 'exceptions.sql');
  }

  /** The cause's unresolved row, locked (PostgreSQL) for the caller's read-then-write. */
  private open(kind: ExceptionKind, key: string, seller: string | null, partner: string | null): Promise<ExceptionRow | undefined> {
    return this.sql.get<ExceptionRow>(this.q.lockOpen, { kind, key, seller, partner });
  }

  async raise(x: RaiseException): Promise<ExceptionRecord> {
    const kind = oneOf(EXCEPTION_KINDS, x.kind, 'exception kind');
    const now = isoTime(x.now, 'now');
    const severity = x.severity ? oneOf(EXCEPTION_SEVERITIES, x.severity, 'severity') : undefined;
    const seller = x.seller ?? null;
    const partner = x.partner ?? null;
    let open = await this.open(kind, x.key, seller, partner);
    if (!open) {
      const inserted = await this.sql.get<ExceptionRow>(this.q.insert, {
        kind,
        severity: severity ?? defaultSeverity(kind),
        seller,
        partner,
        key: x.key,
        message: x.message,
        context: JSON.stringify(x.context ?? {}),
        refs: JSON.stringify(withRef([], x.ref)),
        now,
      });
      if (inserted) return toException(inserted);
      // Another writer opened the cause between the read and the insert: this sighting bumps its row.
      open = await this.open(kind, x.key, seller, partner);
      if (!open) throw new StoreError(`exception ${kind} ${x.key}: neither opened nor found open`, { kind, key: x.key, seller, partner });
    }
    const bumped = await this.sql.get<ExceptionRow>(this.q.bump, {
      id: open.id,
      now,
      message: x.message,
      context: x.context ? JSON.stringify(keepReleased(x.context, open.context)) : open.context,
      refs: JSON.stringify(withRef(JSON.parse(open.refs) as string[], x.ref)),
      severity: severity ?? open.severity,
    });
    return toException(bumped!);
  }

  async get(id: number): Promise<ExceptionRecord | null> {
    const r = await this.sql.get<ExceptionRow>(this.q.byId, id);
    return r ? toException(r) : null;
  }

  async find(kind: ExceptionKind, key: string, seller?: string | null, partner?: string | null): Promise<ExceptionRecord | null> {
    const r = await this.sql.get<ExceptionRow>(this.q.findOpen, { kind: oneOf(EXCEPTION_KINDS, kind, 'exception kind'), key, seller: seller ?? null, partner: partner ?? null });
    return r ? toException(r) : null;
  }

  async list(filter: { states?: ExceptionState[]; kind?: ExceptionKind; seller?: string; partner?: string; limit?: number }): Promise<ExceptionRecord[]> {
    const rows = await this.sql.all<ExceptionRow>(this.q.list, {
      states: filter.states ? JSON.stringify(filter.states.map((s) => oneOf(EXCEPTION_STATES, s, 'exception state'))) : null,
      kind: filter.kind ? oneOf(EXCEPTION_KINDS, filter.kind, 'exception kind') : null,
      seller: filter.seller ?? null,
      partner: filter.partner ?? null,
      limit: filter.limit ?? 1000,
    });
    return rows.map(toException);
  }

  /** `lock`: read for a write of the row's own refs and context (locked on PostgreSQL). */
  private async existing(id: number, lock = false): Promise<ExceptionRow> {
    const r = await this.sql.get<ExceptionRow>(lock ? this.q.lockById : this.q.byId, id);
    if (!r) throw new StoreError(`no exception ${id}`, { id });
    return r;
  }

  async assign(id: number, owner: string, now: string): Promise<void> {
    isoTime(now, 'now');
    await this.existing(id);
    await this.sql.run(this.q.assign, { id, owner });
  }

  async acknowledge(id: number, now: string): Promise<void> {
    isoTime(now, 'now');
    await this.existing(id);
    await this.sql.run(this.q.acknowledge, { id });
  }

  /** Resolving a resolved exception changes nothing (its first note and time stay). */
  async resolve(id: number, note: string, now: string): Promise<void> {
    await this.existing(id);
    await this.sql.run(this.q.resolve, { id, note, now: isoTime(now, 'now') });
  }

  async resolveCause(kind: ExceptionKind, key: string, seller: string | null, partner: string | null, note: string, now: string): Promise<boolean> {
    const open = await this.sql.get<ExceptionRow>(this.q.findOpen, { kind: oneOf(EXCEPTION_KINDS, kind, 'exception kind'), key, seller, partner });
    if (!open) return false;
    return (await this.sql.run(this.q.resolve, { id: open.id, note, now: isoTime(now, 'now') })).changes === 1;
  }

  async dropRef(id: number, ref: string, note: string, now: string): Promise<void> {
    const at = isoTime(now, 'now');
    const r = await this.existing(id, true);
    const before = JSON.parse(r.refs) as string[];
    const refs = before.filter((x) => x !== ref);
    const context = JSON.parse(r.context) as ExceptionContext;
    if (refs.length !== before.length) {
      const released = Array.isArray(context.details?.released) ? (context.details.released as string[]).filter((x) => x !== ref) : [];
      context.details = { ...context.details, released: [...released, ref].slice(-RELEASED_CAP) };
    }
    await this.sql.run(this.q.setRefsReleased, { id, refs: JSON.stringify(refs), context: JSON.stringify(context) });
    if (refs.length === 0) await this.sql.run(this.q.resolve, { id, note, now: at });
  }
}
