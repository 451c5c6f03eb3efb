/**
 * Fire and clear: every rule's causes now against the alerts firing, each new cause fired once
 * and each cause gone cleared once, with a log line and one deliver-alert job per webhook that
 * takes the rule. The fire (or clear) and its jobs are one transaction: an alert is never
 * recorded without its deliveries, nor delivered without being recorded, whatever crashes.
 */
import type { ExceptionRetry, GatewayContext, JobHandler } from '../flows/context.ts';
import { PermanentError } from '../flows/context.ts';
import type { AlertRecord, Work } from '../store/work.ts';
import { ALERT_RULES, type AlertRuleName } from '../config/config.ts';
import { RULES, type AlertCause } from './rules.ts';
import { alertSettings, alertThresholds, webhooksFor, type AlertSettings } from './settings.ts';
import { alertPayload, postAlert, webhookExceptionKey, webhookOfException, webhookOrigin, type AlertEvent } from './webhook.ts';

/** The deliver-alert job's payload: which webhook, which event, and the alert as it was then. */
export interface DeliverAlertPayload {
  alertId: number;
  event: AlertEvent;
  webhook: string;
  alert: AlertRecord;
}

/** One delivery per (alert, event, webhook), whoever enqueues it again. */
export const deliveryKey = (alertId: number, event: AlertEvent, webhook: string) => `alert:${alertId}:${event}:${webhook}`;

export interface AlertsRun {
  counts: { firing: number; fired: number; cleared: number; deliveries: number };
  /** Rules that could not be evaluated this time (logged; the others ran). */
  failedRules: AlertRuleName[];
}

async function enqueueDeliveries(w: Work, alert: AlertRecord, event: AlertEvent, webhooks: string[], now: string): Promise<number> {
  let n = 0;
  for (const webhook of webhooks) {
    const payload: DeliverAlertPayload = { alertId: alert.id, event, webhook, alert };
    const { created } = await w.jobs.enqueue(
      { kind: 'deliver-alert', key: deliveryKey(alert.id, event, webhook), ...(alert.seller && { seller: alert.seller }), ...(alert.partner && { partner: alert.partner }), payload: payload as unknown as Record<string, unknown> },
      now,
    );
    if (created) n++;
  }
  return n;
}

/** Evaluate every rule once; fire the new causes, clear the ones gone. */
export async function runAlertRules(ctx: GatewayContext, settings: AlertSettings = alertSettings(ctx)): Promise<AlertsRun> {
  const now = ctx.clock.now().toISOString();
  const thresholds = alertThresholds(ctx, settings);
  const run: AlertsRun = { counts: { firing: 0, fired: 0, cleared: 0, deliveries: 0 }, failedRules: [] };
  for (const rule of ALERT_RULES) {
    const def = RULES[rule];
    try {
      const firing = await ctx.store.work.alerts.firing(rule);
      const causes = await def.evaluate({ ctx, now, thresholds, firing });
      const seen = new Set<string>();
      for (const cause of causes) {
        if (seen.has(cause.key)) continue;
        seen.add(cause.key);
        run.counts.firing++;
        await fire(ctx, settings, rule, cause, now, run);
      }
      for (const alert of firing) {
        if (seen.has(alert.key)) continue;
        await clear(ctx, settings, rule, alert, now, run);
      }
    } catch (e) {
      // One rule's failure (a store read, a malformed row) does not keep the others from running.
      run.failedRules.push(rule);
      ctx.log.error({ event: 'alert-rule-failed', rule, err: (e as Error).message }, `alert rule ${rule} could not be evaluated: ${(e as Error).message}`);
    }
  }
  return run;
}

async function fire(ctx: GatewayContext, settings: AlertSettings, rule: AlertRuleName, cause: AlertCause, now: string, run: AlertsRun): Promise<void> {
  const webhooks = webhooksFor(settings, rule)
    .map((w) => w.name)
    .filter((name) => !cause.avoidWebhooks?.includes(name));
  const fired = await ctx.store.transaction(async (w) => {
    const r = await w.alerts.fire({ rule, key: cause.key, seller: cause.seller, partner: cause.partner, severity: RULES[rule].severity, message: cause.message, details: cause.details }, now);
    if (!r.created) return null;
    return { alert: r.record, deliveries: await enqueueDeliveries(w, r.record, 'fired', webhooks, now) };
  });
  if (!fired) return;
  run.counts.fired++;
  run.counts.deliveries += fired.deliveries;
  const a = fired.alert;
  ctx.log.warn(
    { event: 'alert-fired', alertId: a.id, rule, key: a.key, severity: a.severity, seller: a.seller, partner: a.partner, message: a.message, webhooks },
    `alert ${rule} fired: ${a.message}`,
  );
}

async function clear(ctx: GatewayContext, settings: AlertSettings, rule: AlertRuleName, alert: AlertRecord, now: string, run: AlertsRun): Promise<void> {
  const because = await RULES[rule].clearedBecause(ctx, alert);
  const candidates = webhooksFor(settings, rule).map((w) => w.name);
  const cleared = await ctx.store.transaction(async (w) => {
    if (!(await w.alerts.clear(alert.id, because, now))) return null;
    const record = (await w.alerts.get(alert.id))!;
    // The clear goes where the fire went: a receiver that was never told it fired has nothing to close.
    const webhooks: string[] = [];
    for (const name of candidates) if (await w.jobs.byKey(deliveryKey(alert.id, 'fired', name))) webhooks.push(name);
    return { alert: record, webhooks, deliveries: await enqueueDeliveries(w, record, 'cleared', webhooks, now) };
  });
  if (!cleared) return;
  run.counts.cleared++;
  run.counts.deliveries += cleared.deliveries;
  const a = cleared.alert;
  ctx.log.info(
    { event: 'alert-cleared', alertId: a.id, rule, key: a.key, severity: a.severity, seller: a.seller, partner: a.partner, message: a.message, clearedBecause: a.clearedBecause, firedAt: a.firedAt, webhooks: cleared.webhooks },
    `alert ${rule} cleared (${because}): ${a.message}`,
  );
}

function deliverPayload(payload: Record<string, unknown>): DeliverAlertPayload {
  const p = payload as Partial<DeliverAlertPayload>;
  if (typeof p.alertId !== 'number' || (p.event !== 'fired' && p.event !== 'cleared') || typeof p.webhook !== 'string' || !p.alert || typeof p.alert !== 'object') {
    throw new PermanentError(`deliver-alert job payload is not an alert delivery: ${JSON.stringify(Object.keys(payload))}`);
  }
  return p as DeliverAlertPayload;
}

/** The deliver-alert job: POST the event to its webhook, as configured now (URL and secret). */
export const deliverAlert: JobHandler = async (job, ctx) => {
  const p = deliverPayload(job.payload);
  const webhook = alertSettings(ctx).webhooks.find((w) => w.name === p.webhook);
  if (!webhook) {
    throw new PermanentError(`alert webhook ${p.webhook} is no longer configured (alerts.webhooks): alert ${p.alertId} ${p.event} not sent`, { kind: 'alert-failed', key: webhookExceptionKey(p.webhook) });
  }
  const at = ctx.clock.now();
  const status = await postAlert({ webhook, event: p.event, deliveryId: job.key, payload: alertPayload(p.alert, at.toISOString()), timestamp: Math.floor(at.getTime() / 1000) });
  ctx.log.info(
    { event: 'alert-delivered', alertId: p.alertId, rule: p.alert.rule, key: p.alert.key, alertEvent: p.event, webhook: webhook.name, to: webhookOrigin(webhook.url), status, attempt: job.attempts },
    `alert ${p.alert.rule} ${p.event} delivered to ${webhook.name}`,
  );
};

/**
 * `exceptions retry` of an alert-failed exception, after the webhook was fixed (its URL, its
 * receiver, its secret variable): the dead deliveries it names are made pending again and the
 * exception resolved; the outbox sends them next, and a failure again raises a new exception.
 */
export const retryAlertDeliveries: ExceptionRetry = async (ctx, x) => {
  const now = ctx.clock.now().toISOString();
  const name = webhookOfException(x.key);
  const webhook = alertSettings(ctx).webhooks.find((w) => w.name === name);
  if (!name || !webhook) return `exception ${x.id}: webhook ${name ?? '(none named)'} is not configured in alerts.webhooks: nothing revived (resolve it if the webhook was removed on purpose)`;
  if (!process.env[webhook.secretEnv]) return `webhook ${name}: the environment variable ${webhook.secretEnv} is still not set: nothing revived`;
  let revived = 0;
  for (const key of new Set([x.key, ...x.refs])) {
    const job = await ctx.store.work.jobs.byKey(key);
    if (job?.kind === 'deliver-alert' && job.state === 'dead' && (await ctx.store.work.jobs.revive(job.id, now))) revived++;
  }
  if (revived === 0) return `exception ${x.id}: no dead delivery to ${name} left to revive`;
  await ctx.store.work.exceptions.resolve(x.id, `${revived} alert deliveries to ${name} revived (exceptions retry)`, now);
  ctx.log.info({ event: 'alert-deliveries-revived', exception: x.id, webhook: name, revived }, `${revived} alert deliveries to ${name} revived`);
  return `${revived} alert deliveries to ${name} revived: the outbox sends them next`;
};
