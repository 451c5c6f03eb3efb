/**
 * The messages the gateway moved, as `dockgate messages` shows them: each file with its flow,
 * its status axes (validation, delivery, acknowledgement), the orders it carried or the
 * documents it held, and for one message its raw bytes, X12 JSON form and status history.
 */
import { writeJsonForm } from '../x12/json-form.ts';
import { readX12 } from '../x12/reader.ts';
import type { SetTree } from '../x12/tree.ts';
import { validateSet } from '../x12/validate/index.ts';
import type { MessageEvent, MessageRow } from '../store/store.ts';
import type { GatewayStore, InboundDocumentRecord, MessageAxes } from '../store/work.ts';

export const FLOWS = ['orders', 'shipments', 'inventory', 'receipts', 'inbound-asn', 'acknowledgements', 'unknown'] as const;
export type FlowName = (typeof FLOWS)[number];

const BY_DOC_TYPE: Record<string, FlowName> = { '940': 'orders', '945': 'shipments', '846': 'inventory', '944': 'receipts', '856': 'inbound-asn', '997': 'acknowledgements', '999': 'acknowledgements', TA1: 'acknowledgements' };
const BY_DOCUMENT: Record<string, FlowName> = { 'ship-order': 'orders', 'shipment-advice': 'shipments', inventory: 'inventory', receipt: 'receipts', 'inbound-asn': 'inbound-asn', acknowledgement: 'acknowledgements' };

export interface MessageSummary {
  id: number;
  direction: 'in' | 'out';
  partner: string | null;
  fileName: string | null;
  flow: FlowName;
  /** The transaction sets in it (X12), by type. */
  sets: string[];
  status: string;
  statusReason: string | null;
  axes: MessageAxes | null;
  orders: Array<{ seller: string; orderId: string; state: string }>;
  documents: Array<{ index: number; document: string; seller: string | null; key: string | null; state: string; reason: string | null }>;
  createdAt: string;
  updatedAt: string;
  purged: boolean;
}

export interface MessageFilter {
  flow?: string;
  partner?: string;
  seller?: string;
  order?: string;
  state?: string;
  limit?: number;
}

/** Every row under a message, depth first. */
function subtree(store: GatewayStore, id: number): MessageRow[] {
  const out: MessageRow[] = [];
  const stack = [id];
  while (stack.length) {
    const t = store.trace(stack.pop()!);
    if (!t) continue;
    for (const c of t.children) {
      out.push(c);
      stack.push(c.id);
    }
  }
  return out;
}

export async function summarize(store: GatewayStore, m: MessageRow): Promise<MessageSummary> {
  const below = subtree(store, m.id);
  const sets = below.filter((r) => r.kind === 'set' && r.docType).map((r) => r.docType!);
  const [axes, orders, docs] = await Promise.all([store.work.messages.axes(m.id), store.work.orders.byFileMessage(m.id), store.work.inbound.forFile(m.id)]);
  const interchangeAck = below.some((r) => r.kind === 'interchange' && r.docType === 'TA1');
  const flow: FlowName =
    orders.length > 0
      ? 'orders'
      : (docs.map((d: InboundDocumentRecord) => BY_DOCUMENT[d.document]).find(Boolean) ?? sets.map((s) => BY_DOC_TYPE[s]).find(Boolean) ?? (interchangeAck ? 'acknowledgements' : 'unknown'));
  return {
    id: m.id,
    direction: m.direction,
    partner: m.partner,
    fileName: m.fileName,
    flow,
    sets: [...new Set(sets)],
    status: m.status,
    statusReason: m.statusReason,
    axes,
    orders: orders.map((o) => ({ seller: o.seller, orderId: o.orderId, state: o.state })),
    documents: docs.map((d) => ({ index: d.index, document: d.document, seller: d.seller, key: d.key, state: d.state, reason: d.reason })),
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    purged: m.purgedAt !== null,
  };
}

/** The most recent files matching the filter, newest first. */
export async function listMessages(store: GatewayStore, filter: MessageFilter): Promise<MessageSummary[]> {
  const limit = filter.limit ?? 50;
  const filtered = Boolean(filter.flow || filter.partner || filter.seller || filter.order || filter.state);
  // The message log has no index by flow, seller or order: with a filter, recent files (up to
  // 100,000) are read and filtered until `limit` match.
  const rows = store.list({ kind: 'file', limit: filtered ? 100_000 : limit });
  const out: MessageSummary[] = [];
  for (const m of rows) {
    if (out.length >= limit) break;
    if (filter.partner && m.partner !== filter.partner) continue;
    const s = await summarize(store, m);
    if (!summaryMatches(s, filter)) continue;
    out.push(s);
  }
  return out;
}

/** Does a summarized file pass the filter's flow, partner, seller, order and state (status or any axis value)? */
export function summaryMatches(s: MessageSummary, filter: MessageFilter): boolean {
  if (filter.partner && s.partner !== filter.partner) return false;
  if (filter.flow && s.flow !== filter.flow) return false;
  if (filter.seller && !s.orders.some((o) => o.seller === filter.seller) && !s.documents.some((d) => d.seller === filter.seller)) return false;
  if (filter.order && !s.orders.some((o) => o.orderId === filter.order) && !s.documents.some((d) => d.key === filter.order)) return false;
  if (filter.state && ![s.status, s.axes?.validation, s.axes?.delivery, s.axes?.acknowledgement].includes(filter.state)) return false;
  return true;
}

/** Every row under a message (its envelope tree), depth first. */
export function messageSubtree(store: GatewayStore, id: number): MessageRow[] {
  return subtree(store, id);
}

export interface MessageDetail {
  summary: MessageSummary;
  message: MessageRow;
  /** Parents, children (the envelope tree below), events of the message itself and of each row below. */
  parents: MessageRow[];
  tree: MessageRow[];
  events: Array<MessageEvent & { messageId: number }>;
  /** The raw bytes as text (null: purged or not a file). */
  raw: string | null;
  /** The X12 JSON form (docs/x12-json-form.md), when the file is X12 and readable. */
  x12: unknown;
}

/** The JSON form of X12 bytes, as `x12 to-json` writes it (null when they are not enveloped X12). */
export async function x12JsonForm(bytes: Buffer): Promise<unknown> {
  if (!/^\s*ISA/.test(bytes.subarray(0, 200).toString('latin1'))) return null;
  const parts: string[] = [];
  try {
    await writeJsonForm(readX12(bytes), (set) => validateSet(set, { buildTree: true }).tree as SetTree, (text) => {
      parts.push(text);
    });
    return JSON.parse(parts.join(''));
  } catch {
    return null;
  }
}

/** UTF-8 when the bytes are (most CSV and XML), else Latin-1 (a windows-1252 export): one character per byte. */
function asText(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

export async function showMessage(store: GatewayStore, id: number): Promise<MessageDetail | null> {
  const t = store.trace(id);
  if (!t) return null;
  const file = t.message.kind === 'file' ? t.message : (t.parents.find((p) => p.kind === 'file') ?? t.message);
  const tree = subtree(store, file.id);
  const events: MessageDetail['events'] = [];
  for (const row of [file, ...tree]) {
    const tr = row.id === t.message.id ? t : store.trace(row.id);
    for (const e of tr?.events ?? []) events.push({ ...e, messageId: row.id });
  }
  events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.messageId - b.messageId));
  let raw: string | null = null;
  let x12: unknown = null;
  if (file.blobSha256 && !file.purgedAt && store.blobs.has(file.blobSha256)) {
    const bytes = await store.blobs.read(file.blobSha256);
    raw = asText(bytes);
    x12 = await x12JsonForm(bytes);
  }
  return { summary: await summarize(store, file), message: t.message, parents: t.parents, tree, events, raw, x12 };
}
