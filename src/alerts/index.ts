/**
 * Alerts (issue 11): rules over the store that fire once per cause and clear once when it is
 * gone, each fire and clear logged and POSTed, signed, to the webhooks that take its rule.
 * src/flows/alerts.ts runs them in the checks cycle and handles the deliver-alert jobs.
 */
export { RULES, isAuthorisationFailure, type AlertCause, type AlertRuleDefinition, type RuleInput } from './rules.ts';
export { alertSettings, alertThresholds, webhooksFor, webhooksWithoutSecret, DEFAULT_ALERT_SETTINGS, DEFAULT_EXCEPTION_UNOWNED_MINUTES, DEFAULT_TRACKING_LAG_MINUTES, type AlertThresholds, type AlertWebhook } from './settings.ts';
export { alertPayload, postAlert, signature, retryableStatus, webhookOrigin, webhookExceptionKey, webhookOfException, USER_AGENT, WEBHOOK_TIMEOUT_MS, WebhookRetryableError, type AlertEvent, type AlertPayload } from './webhook.ts';
export { deliverAlert, deliveryKey, retryAlertDeliveries, runAlertRules, type AlertsRun, type DeliverAlertPayload } from './engine.ts';
