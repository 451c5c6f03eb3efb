/**
 * One alert event (fired or cleared) POSTed to one webhook as JSON, signed.
 *
 * The signature follows the Stripe / GitHub webhook convention: an HMAC-SHA256, keyed with
 * the webhook's shared secret, over `${timestamp}.${body}` (the exact bytes sent), hex, in
 * `X-Dockgate-Signature: sha256=<hex>`, with the timestamp (unix seconds) in
 * `X-Dockgate-Timestamp`. The receiver recomputes it over the raw body and compares in constant
 * time; the timestamp lets it refuse old deliveries replayed (Stripe's tolerance is 5 minutes).
 *
 * Outcomes: a 2xx is delivered; 408, 429, 5xx, a timeout or a network failure are worth trying
 * again (a retryable error: the outbox worker retries with the gateway's backoff and, after
 * maxAttempts, makes the job dead with an alert-failed exception); any other answer is a
 * PermanentError with its status (a wrong URL or a receiver refusing the payload does not get
 * better by sending it again).
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PermanentError } from '../flows/context.ts';
import type { AlertRecord } from '../store/work.ts';
import type { AlertWebhook } from './settings.ts';

export const WEBHOOK_TIMEOUT_MS = 10_000;

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
export const USER_AGENT = `dockgate/${VERSION}`;

export type AlertEvent = 'fired' | 'cleared';

/** What a webhook receives: the alert as it was when the event happened. */
export interface AlertPayload {
  id: number;
  rule: string;
  key: string;
  state: AlertRecord['state'];
  severity: AlertRecord['severity'];
  seller: string | null;
  partner: string | null;
  message: string;
  details: Record<string, unknown>;
  firedAt: string;
  clearedAt: string | null;
  clearedBecause: string | null;
  /** When this delivery attempt was made (by the gateway's clock). */
  sentAt: string;
}

export function alertPayload(alert: AlertRecord, sentAt: string): AlertPayload {
  return {
    id: alert.id,
    rule: alert.rule,
    key: alert.key,
    state: alert.state,
    severity: alert.severity,
    seller: alert.seller,
    partner: alert.partner,
    message: alert.message,
    details: alert.details,
    firedAt: alert.firedAt,
    clearedAt: alert.clearedAt,
    clearedBecause: alert.clearedBecause,
    sentAt,
  };
}

/** sha256=<hex HMAC-SHA256 of `${timestamp}.${body}`>. */
export function signature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** A failed delivery that may succeed later (the worker retries it with backoff). */
export class WebhookRetryableError extends Error {
  constructor(
    message: string,
    readonly webhook: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'WebhookRetryableError';
  }
}

/** Statuses worth sending again: the receiver timed out, throttles us, or failed on its side. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Where a delivery went, for errors and logs: the origin only. Webhook URLs often carry their
 * credential in the path (Slack, Teams incoming webhooks), so the path is never written down.
 */
export function webhookOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(unparsable url)';
  }
}

/**
 * The alert-failed exception of a webhook that refuses for good (a 4xx, no secret): one per
 * webhook, the failed jobs in its refs. A webhook that kept failing retryably has one per job
 * (the worker's key: the job key, alert:<alertId>:<event>:<webhook>).
 */
export const webhookExceptionKey = (webhook: string) => `webhook:${webhook}`;
/** The webhook an alert-failed exception is about, from its key (either form). */
export function webhookOfException(key: string): string | undefined {
  return /^(?:alert:\d+:(?:fired|cleared):|webhook:)(.+)$/.exec(key)?.[1];
}

export interface Delivery {
  webhook: AlertWebhook;
  event: AlertEvent;
  /** The job key: X-Dockgate-Delivery, the same on every attempt so a receiver can drop repeats. */
  deliveryId: string;
  payload: AlertPayload;
  /** Unix seconds of the attempt. */
  timestamp: number;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** POST the payload; returns the 2xx status, throws WebhookRetryableError or PermanentError. */
export async function postAlert(d: Delivery): Promise<number> {
  const { webhook } = d;
  const env = d.env ?? process.env;
  const secret = env[webhook.secretEnv];
  if (!secret) {
    throw new PermanentError(`alert webhook ${webhook.name}: the environment variable ${webhook.secretEnv} holding its signing secret is not set`, {
      kind: 'alert-failed',
      key: webhookExceptionKey(webhook.name),
    });
  }
  const body = JSON.stringify(d.payload);
  const where = `alert webhook ${webhook.name} (${webhookOrigin(webhook.url)})`;
  let res: Response;
  try {
    res = await fetch(webhook.url, {
      method: 'POST',
      body,
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': USER_AGENT,
        'X-Dockgate-Event': `alert.${d.event}`,
        'X-Dockgate-Delivery': d.deliveryId,
        'X-Dockgate-Timestamp': String(d.timestamp),
        'X-Dockgate-Signature': signature(secret, d.timestamp, body),
      },
      // A redirect is answered like any other non-2xx: the configured URL is the one signed for.
      redirect: 'manual',
      signal: AbortSignal.timeout(d.timeoutMs ?? WEBHOOK_TIMEOUT_MS),
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = err.name === 'TimeoutError' ? `no answer within ${(d.timeoutMs ?? WEBHOOK_TIMEOUT_MS) / 1000} s` : (err.cause?.code ?? err.cause?.message ?? err.message);
    throw new WebhookRetryableError(`${where}: ${why}`, webhook.name);
  }
  // The answer's body is read (to free the connection) but only its start is kept, for the job's last_error.
  const text = (await res.text().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 200);
  if (res.status >= 200 && res.status < 300) return res.status;
  const message = `${where}: HTTP ${res.status}${text ? `: ${text}` : ''}`;
  if (retryableStatus(res.status)) throw new WebhookRetryableError(message, webhook.name, res.status);
  throw new PermanentError(message, { kind: 'alert-failed', key: webhookExceptionKey(webhook.name) });
}
