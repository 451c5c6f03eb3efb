/**
 * Sending files to a partner: names from the partner's pattern, upload under a temporary name
 * then rename (the transport's put), retries with backoff when the connection fails.
 */
import type { Readable } from 'node:stream';
import { backoffDelay } from '../retry/backoff.ts';
import { checkName, TransportError, type Transport } from './transport.ts';

export interface FileNameParts {
  partner: string;
  document: string;
  control?: string | number;
  /** Default: now. */
  at?: Date;
}

/** A file name from a pattern such as `{partner}_940_{control}_{timestamp}.edi`. */
export function fileName(pattern: string, parts: FileNameParts): string {
  const at = parts.at ?? new Date();
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  const name = pattern.replace(/\{(partner|document|control|timestamp)\}/g, (_, k: string) =>
    k === 'partner' ? parts.partner : k === 'document' ? parts.document : k === 'control' ? String(parts.control ?? '') : stamp,
  );
  if (/[{}]/.test(name)) throw new TransportError(`file-name pattern ${pattern}: unknown placeholder (use {partner} {document} {control} {timestamp})`, 'bad-name');
  return checkName(name, `pattern ${pattern}`);
}

export interface DeliveryOptions {
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (attempt: number, error: TransportError, delayMs: number) => void;
}

/**
 * Put a file, retrying a failed connection with the one backoff (the transport reconnects);
 * refusals (permission, full, exists, bad name) are not retried. Bytes only: what the put means
 * for the message log is the caller's (the outbox's deliver-file handler).
 */
export async function deliver(transport: Transport, dir: string, name: string, data: Buffer | (() => Readable), options: DeliveryOptions = {}): Promise<void> {
  const attempts = options.attempts ?? 6;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const policy = { baseMs: options.baseDelayMs ?? 500, capMs: options.maxDelayMs ?? 30_000 };
  for (let attempt = 1; ; attempt++) {
    try {
      await transport.put(dir, name, Buffer.isBuffer(data) ? data : data());
      return;
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      // A put whose answer was lost may have completed: the file under its final name is ours.
      if (e.kind === 'exists' && attempt > 1) return;
      if (!e.retryable || attempt >= attempts) throw e;
      const delay = backoffDelay(attempt, policy, options.random);
      options.onRetry?.(attempt, e, delay);
      await sleep(delay);
    }
  }
}
