/**
 * Sending files to a partner: names from the partner's pattern, upload under a temporary name
 * then rename, retries with backoff when the connection fails, and the message marked delivered
 * only after the rename succeeded. Delivered is complete (retention counts from then) unless the
 * partner acknowledges what it receives: then its acknowledgement completes the file.
 */
import type { Readable } from 'node:stream';
import type { MessageStore } from '../store/store.ts';
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
  onRetry?: (attempt: number, error: TransportError, delayMs: number) => void;
}

/**
 * Put a file and, when given, mark its message delivered. A failed connection is retried
 * (the transport reconnects); refusals (permission, full, exists, bad name) are not.
 */
export async function deliver(
  transport: Transport,
  dir: string,
  name: string,
  data: Buffer | (() => Readable),
  options: DeliveryOptions & { store?: MessageStore; messageId?: number; awaitsAcknowledgement?: boolean } = {},
): Promise<void> {
  const attempts = options.attempts ?? 6;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      await transport.put(dir, name, Buffer.isBuffer(data) ? data : data());
      break;
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      // A put whose answer was lost may have completed: the file under its final name is ours.
      if (e.kind === 'exists' && attempt > 1) break;
      if (!e.retryable || attempt >= attempts) {
        if (options.store && options.messageId !== undefined) await options.store.setStatus(options.messageId, 'delivery-failed', e.message);
        throw e;
      }
      const delay = Math.min(options.maxDelayMs ?? 30_000, (options.baseDelayMs ?? 500) * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      options.onRetry?.(attempt, e, delay);
      await sleep(delay);
    }
  }
  if (options.store && options.messageId !== undefined) {
    await options.store.setStatus(options.messageId, 'delivered', `${transport.describe} ${dir}/${name}`, !options.awaitsAcknowledgement);
  }
}
