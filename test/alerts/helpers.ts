/**
 * What the alert tests share: a harness at a fixed time, the orders flow's 940s delivered to
 * Reno, Reno's 997 accepting a group, the alerts section put on the context (as the lead's
 * wiring will), and a real HTTP receiver on 127.0.0.1 that records what it was sent and answers
 * with the statuses the test scripts.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AlertSettings } from '../../src/config/config.ts';
import { handlers as deliveryHandlers } from '../../src/flows/outbox-delivery.ts';
import { pollOrders } from '../../src/flows/orders-to-warehouse.ts';
import type { MessageRow } from '../../src/store/store.ts';
import { readReceivedX12, settleAcknowledgements } from '../../src/tracking/acknowledgements.ts';
import type { OutboundSegment } from '../../src/x12/outbound.ts';
import { sendInterchange } from '../../src/x12/writer.ts';
import { startHarness, TestClock, type Harness, type HarnessOptions } from '../flows/harness.ts';

export const RENO = 'reno-wms';
export const MINUTE = 60_000;

export async function alertsHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = options.clock ?? new TestClock(Date.parse('2026-11-25T00:00:00Z'));
  return startHarness({ ...options, clock, emulator: { clock, ...options.emulator } });
}

/** The alerts section on the context, where buildGatewayContext is to put it (src/alerts/settings.ts). */
export function useAlerts(h: Harness, settings: AlertSettings): void {
  (h.ctx as { alerts?: AlertSettings }).alerts = settings;
}

/** The deliver-file jobs ready now, run once each. */
async function drainFiles(h: Harness): Promise<number> {
  const owner = 'test-files';
  const now = h.clock.now().toISOString();
  const jobs = await h.store.work.jobs.claim({ owner, now, leaseMs: 60_000, limit: 100, kinds: ['deliver-file'] });
  for (const job of jobs) {
    await deliveryHandlers['deliver-file']!(job, h.ctx);
    await h.store.work.jobs.complete(job.id, owner, now);
  }
  return jobs.length;
}

const children = (h: Harness, id: number, kind: MessageRow['kind']) => h.store.trace(id)!.children.filter((c) => c.kind === kind);

/** acme's orders polled from the emulator and their 940s delivered to Reno: the groups awaiting a 997. */
export async function ordersDelivered(h: Harness): Promise<{ file: MessageRow; groups: MessageRow[] }> {
  const run = await pollOrders(h.ctx, 'acme');
  assert.ok((run.counts.queued ?? 0) > 0, JSON.stringify(run));
  assert.ok((await drainFiles(h)) > 0);
  const [file] = h.store.list({ kind: 'file' }).filter((m) => m.direction === 'out' && m.partner === RENO);
  return { file, groups: children(h, file.id, 'interchange').flatMap((ic) => children(h, ic.id, 'group')) };
}

let partnerControl = 800;
/** Reno's 997 accepting (A) or rejecting (R) every set of a group we sent, taken and settled as the inbound flow does. */
export async function renoAccepts(h: Harness, group: MessageRow, verdict: 'A' | 'R' = 'A'): Promise<void> {
  const sets = children(h, group.id, 'set');
  const body: OutboundSegment[] = [{ id: 'AK1', elements: ['OW', group.control!] }];
  for (const s of sets) body.push({ id: 'AK2', elements: ['940', s.control!] }, { id: 'AK5', elements: verdict === 'A' ? ['A'] : ['R', '5'] });
  body.push({ id: 'AK9', elements: [verdict, String(sets.length), String(sets.length), verdict === 'A' ? String(sets.length) : '0'] });
  const bytes = sendInterchange(
    { sender: { qualifier: 'ZZ', id: 'RENOWMS' }, receiver: { qualifier: 'ZZ', id: 'ACME3PL' }, version: '00401', usage: 'T', groups: [{ functionalId: 'FA', senderId: 'RENOWMS', receiverId: 'ACME3PL', version: '004010', sets: [{ id: '997', segments: body }] }] },
    { partner: 'partner-side', controlNumbers: { next: () => ++partnerControl }, now: h.clock.now() },
  ).bytes;
  const r = await readReceivedX12(h.store, RENO, `997-${partnerControl}.edi`, await h.store.blobs.putBuffer(bytes));
  await settleAcknowledgements(h.ctx, RENO, r.acks, r.ta1s);
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Statuses to answer with, in order; when none is left: 200. `hang` holds the request unanswered. */
  script: Array<number | 'hang'>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const script: Array<number | 'hang'> = [];
  const hanging: Array<() => void> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const next = script.shift() ?? 200;
      if (next === 'hang') {
        hanging.push(() => res.destroy());
        return;
      }
      res.writeHead(next, { 'content-type': 'text/plain' }).end(next < 300 ? 'ok' : `status ${next} from the test receiver`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/dockgate`,
    requests,
    script,
    async close() {
      for (const h of hanging) h();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
