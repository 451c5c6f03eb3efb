/**
 * Alerts (AlertsRepo), one implementation for every backend: one firing row per (rule, key),
 * kept so by the unique index over firing rows rather than by reading first, so two instances
 * firing the same cause at once make one row.
 */
import { isoTime, oneOf } from '../states.ts';
import { queries } from '../sql/queries.ts';
import type { SqlRunner } from '../sql/runner.ts';
import { ALERT_STATES, EXCEPTION_SEVERITIES, type AlertRecord, type AlertsRepo, type AlertState, type ExceptionSeverity } from '../work.ts';

interface AlertRow {
  id: number;
  rule: string;
  key: string;
  seller: string | null;
  partner: string | null;
  severity: string;
  message: string;
  details: string;
  state: string;
  fired_at: string;
  last_seen: string;
  cleared_at: string | null;
  cleared_because: string | null;
}

function record(r: AlertRow): AlertRecord {
  return {
    id: r.id,
    rule: r.rule,
    key: r.key,
    seller: r.seller,
    partner: r.partner,
    severity: r.severity as ExceptionSeverity,
    message: r.message,
    details: JSON.parse(r.details) as Record<string, unknown>,
    state: r.state as AlertState,
    firedAt: r.fired_at,
    lastSeen: r.last_seen,
    clearedAt: r.cleared_at,
    clearedBecause: r.cleared_because,
  };
}

export class SqlAlerts implements AlertsRepo {
  private readonly q: Record<string, string>;
  constructor(private readonly sql: SqlRunner) {
    this.q = queries(sql.dialect, 'alerts.sql');
  }

  /** Seen again (updated in place) if the cause fires, else a new firing row. */
  async fire(a: Parameters<AlertsRepo['fire']>[0], now: string): Promise<{ record: AlertRecord; created: boolean }> {
    const severity = oneOf(EXCEPTION_SEVERITIES, a.severity, 'alert severity');
    const at = isoTime(now, 'now');
    const details = JSON.stringify(a.details ?? {});
    const seen = { rule: a.rule, key: a.key, now: at, message: a.message, details, severity };
    const open = await this.sql.get<AlertRow>(this.q.seen, seen);
    if (open) return { record: record(open), created: false };
    const row = await this.sql.get<AlertRow>(this.q.insert, { ...seen, seller: a.seller ?? null, partner: a.partner ?? null });
    if (row) return { record: record(row), created: true };
    // Another writer's row for the cause committed between the two statements.
    return { record: record((await this.sql.get<AlertRow>(this.q.seen, seen))!), created: false };
  }

  async clear(id: number, because: string, now: string): Promise<boolean> {
    return (await this.sql.run(this.q.clear, { id, because, now: isoTime(now, 'now') })).changes === 1;
  }

  async get(id: number): Promise<AlertRecord | null> {
    const r = await this.sql.get<AlertRow>(this.q.byId, id);
    return r ? record(r) : null;
  }

  async firing(rule?: string): Promise<AlertRecord[]> {
    return (await this.sql.all<AlertRow>(this.q.firing, { rule: rule ?? null })).map(record);
  }

  async list(filter: { state?: AlertState; rule?: string; limit?: number }): Promise<AlertRecord[]> {
    const state = filter.state === undefined ? null : oneOf(ALERT_STATES, filter.state, 'alert state');
    return (await this.sql.all<AlertRow>(this.q.list, { state, rule: filter.rule ?? null, limit: filter.limit ?? 200 })).map(record);
  }
}
