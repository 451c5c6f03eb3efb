/**
 * The alerts section of the configuration (src/config/config.ts AlertsSection) as the flow
 * reads it: the webhooks and each threshold resolved to a number.
 *
 * The gateway context does not carry the loaded configuration's alerts section yet: the lead
 * adds `alerts: AlertSettings` to the context built by buildGatewayContext. Until then (and in
 * contexts built without it) the defaults apply: no webhooks, alerts only in the log.
 */
import type { AlertRuleName, AlertSettings } from '../config/config.ts';
import type { GatewayContext } from '../flows/context.ts';

export type { AlertRuleName, AlertSettings };
export type AlertWebhook = AlertSettings['webhooks'][number];

export const DEFAULT_ALERT_SETTINGS: AlertSettings = { webhooks: [] };

/** Default thresholds, minutes (the config's comments say the same). */
export const DEFAULT_TRACKING_LAG_MINUTES = 60;
export const DEFAULT_EXCEPTION_UNOWNED_MINUTES = 240;

export interface AlertThresholds {
  trackingLagMinutes: number;
  /** Default: the gateway's lateOrderLeadMinutes, the order-late exception's lead. */
  shipByLeadMinutes: number;
  exceptionUnownedMinutes: number;
}

/** The alerts section of this context: `ctx.alerts` once the lead wires it, the defaults before. */
export function alertSettings(ctx: GatewayContext): AlertSettings {
  return (ctx as { alerts?: AlertSettings }).alerts ?? DEFAULT_ALERT_SETTINGS;
}

export function alertThresholds(ctx: GatewayContext, settings: AlertSettings = alertSettings(ctx)): AlertThresholds {
  const t = settings.thresholds ?? {};
  return {
    trackingLagMinutes: t.trackingLagMinutes ?? DEFAULT_TRACKING_LAG_MINUTES,
    shipByLeadMinutes: t.shipByLeadMinutes ?? ctx.settings.lateOrderLeadMinutes,
    exceptionUnownedMinutes: t.exceptionUnownedMinutes ?? DEFAULT_EXCEPTION_UNOWNED_MINUTES,
  };
}

/** The webhooks that take alerts of this rule (a webhook without `rules` takes every rule). */
export function webhooksFor(settings: AlertSettings, rule: AlertRuleName): AlertWebhook[] {
  return settings.webhooks.filter((w) => !w.rules || w.rules.includes(rule));
}

/** Webhooks whose secret variable is not set in this environment: for a warning at start (their deliveries would fail). */
export function webhooksWithoutSecret(settings: AlertSettings, env: NodeJS.ProcessEnv = process.env): AlertWebhook[] {
  return settings.webhooks.filter((w) => !env[w.secretEnv]);
}
