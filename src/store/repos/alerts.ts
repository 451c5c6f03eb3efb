/** Alerts (AlertsRepo) on SQLite: one firing row per (rule, key). */
import type Database from 'better-sqlite3';
import { ALERT_STATES, EXCEPTION_SEVERITIES, type AlertRecord, type AlertsRepo, type AlertState, type ExceptionSeverity } from '../work.ts';
import { namedQueries } from './named-sql.ts';
import { prepared } from './statements.ts';
import { isoTime, oneOf } from './states.ts';

const q = namedQueries('alerts.sql');

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

export class SqliteAlerts implements AlertsRepo {
  constructor(private readonly db: Database.Database) {}

  async fire(a: Parameters<AlertsRepo['fire']>[0], now: string): Promise<{ record: AlertRecord; created: boolean }> {
    const severity = oneOf(EXCEPTION_SEVERITIES, a.severity, 'alert severity');
    const at = isoTime(now, 'now');
    const details = JSON.stringify(a.details ?? {});
    const run = this.db.transaction(() => {
      const open = prepared(this.db, q.firingFor).get({ rule: a.rule, key: a.key }) as AlertRow | undefined;
      if (open) return { record: record(prepared(this.db, q.seen).get({ id: open.id, now: at, message: a.message, details, severity }) as AlertRow), created: false };
      const row = prepared(this.db, q.insert).get({ rule: a.rule, key: a.key, seller: a.seller ?? null, partner: a.partner ?? null, severity, message: a.message, details, now: at }) as AlertRow;
      return { record: record(row), created: true };
    });
    return run();
  }

  async clear(id: number, because: string, now: string): Promise<boolean> {
    return prepared(this.db, q.clear).run({ id, because, now: isoTime(now, 'now') }).changes === 1;
  }

  async get(id: number): Promise<AlertRecord | null> {
    const r = prepared(this.db, q.byId).get(id) as AlertRow | undefined;
    return r ? record(r) : null;
  }

  async firing(rule?: string): Promise<AlertRecord[]> {
    return (prepared(this.db, q.firing).all({ rule: rule ?? null }) as AlertRow[]).map(record);
  }

  async list(filter: { state?: AlertState; rule?: string; limit?: number }): Promise<AlertRecord[]> {
    const state = filter.state === undefined ? null : oneOf(ALERT_STATES, filter.state, 'alert state');
    return (prepared(this.db, q.list).all({ state, rule: filter.rule ?? null, limit: filter.limit ?? 200 }) as AlertRow[]).map(record);
  }
}
