/**
 * The demo's summary: what the story did, read back from the gateway's store and the emulator
 * (not from the progress lines), each outcome with the command that shows it closer, and the
 * check that every outcome the story was designed to have happened — and nothing else.
 */
import type { LoadedConfig } from '../../config/config.ts';
import { listMessages } from '../../gateway/messages.ts';
import type { ExceptionKind, ExceptionRecord } from '../../store/work.ts';
import { shownPath } from './paths.ts';
import { lateAcknowledgements, type Story } from './story.ts';

/** The exceptions the story raises on purpose, and why: the summary says so, and they do not fail the demo. */
export const DESIGNED_EXCEPTIONS: Partial<Record<ExceptionKind, string>> = {
  'unmapped-sku': "designed: the seed sells a SKU that the seller's SKU table does not have; add it to the table, then retry",
  'order-late': 'designed: the order must ship within the two-hour lead (lateOrderLeadMinutes) and is not confirmed yet',
  'ack-overdue': "designed: Reno answers 997s after its 60-minute window (scenario ackDelayMinutes); cleared when the 997 came",
  'ack-rejected': 'designed: Reno refuses the set of the order the scenario names (rejectOrders); retry sends it again',
  'receipt-unmatched': "designed: Reno's dock received a carton with only a tracking number Amazon never reported; match it by hand (exceptions resolve ID --match RMV-...)",
  'inventory-drift': 'designed: the story edits two listings in Seller Central, one up and one down (their total unchanged): drift is seen by SKU',
  'order-stuck': 'designed: the held order (unmapped SKU) and the rejected one stop at a step; the orders reconciliation lists where',
};

export interface Summary {
  text: string;
  /** Designed outcomes that did not happen, and outcomes nobody designed. */
  unexpected: string[];
  /** Commands printed, for the tests to run one. */
  commands: { messagesShow: string | null; exceptionsShow: string | null; messagesList: string; exceptionsList: string };
}

export async function summarize(story: Story, loaded: LoadedConfig, elapsedMs: number): Promise<Summary> {
  const { store, emulator, facts, scenario } = story;
  const unexpected: string[] = [];
  const lines: string[] = [];
  const rel = shownPath;
  const prefix = `DOCKGATE_DATA_DIR=${rel(story.demoDir)} npx dockgate${loaded.file ? ` -c ${rel(loaded.file)}` : ''}`;
  const say = (s: string) => lines.push(s);
  const sellers = [...new Set(emulator.orders().map((x) => x.seller))];

  say(`Summary (the story began at ${story.clock.start.toISOString().slice(11, 16)} UTC: ${story.clock.minutes()} minutes of it told in ${(elapsedMs / 1000).toFixed(1)} s)`);

  // ---------------------------------------------------------------- orders sent
  const outFiles = (await listMessages(store, { flow: 'orders', limit: 1000 })).filter((m) => m.direction === 'out');
  // FBA replenishments go in ship-order files too; they are counted on their own line below.
  const fbaIds = new Set((await store.work.fba.list({})).map((f) => `${f.seller} ${f.shipmentId}`));
  const sentBySeller = new Map<string, Set<string>>();
  for (const m of outFiles) {
    for (const o of m.orders) {
      if (fbaIds.has(`${o.seller} ${o.orderId}`)) continue;
      const set = sentBySeller.get(o.seller) ?? new Set<string>();
      sentBySeller.set(o.seller, set.add(o.orderId));
    }
  }
  const partnerOf = (seller: string) => story.prepared.mappings.sellers.get(seller)?.warehouse ?? '?';
  say(`  Orders sent: ${sellers.map((s) => `${s} ${sentBySeller.get(s)?.size ?? 0} to ${partnerOf(s)}`).join(', ')} in ${outFiles.length} file(s)`);
  for (const s of sellers) if (!sentBySeller.get(s)?.size) unexpected.push(`no order of ${s} reached its warehouse`);
  const firstOut = [...outFiles].sort((a, b) => a.id - b.id).find((m) => m.axes?.acknowledgement && m.axes.acknowledgement !== 'not-expected') ?? outFiles[0];

  // ---------------------------------------------------------------- acknowledgements
  const expecting = outFiles.filter((m) => m.axes?.acknowledgement && m.axes.acknowledgement !== 'not-expected');
  const acked = expecting.filter((m) => m.axes?.acknowledgedAt);
  const lateAcks = await lateAcknowledgements(store);
  const rejectedOrders = (await store.work.orders.list({ states: ['rejected'], limit: 1000 })).map((o) => `${o.seller} ${o.orderId}`);
  say(
    `  Acknowledgements: ${acked.length} of the ${expecting.length} file(s) that take one answered with a 997 (the CSV partner sends none); ${lateAcks.length} late (${lateAcks.map((l) => `${l.file} ${l.minutesLate} min past due`).join(', ') || 'none'}); sets rejected: ${rejectedOrders.length}${rejectedOrders.length ? ` (${rejectedOrders.join(', ')})` : ''}`,
  );
  if (acked.length < expecting.length) unexpected.push(`${expecting.length - acked.length} file(s) never acknowledged`);
  if (lateAcks.length === 0) unexpected.push('no 997 arrived late: the story has Reno answer after its window');
  if (facts.overdueRaised.length === 0) unexpected.push('no ack-overdue was raised while the 997 was late');
  if (rejectedOrders.length === 0) unexpected.push('no set was rejected: the story has Reno refuse one');

  // ---------------------------------------------------------------- cancellations
  for (const c of scenario.cancelAfterTaken) {
    const o = await store.work.orders.get(c.seller, c.orderId);
    say(`  Cancelled after it reached the warehouse: ${c.seller} ${c.orderId}: gateway ${o?.state ?? 'never saw it'}, warehouse ${facts.cancelledAtWarehouse.includes(c.orderId) ? 'cancelled it before picking' : 'did not cancel it'}`);
    if (o?.state !== 'cancel-sent' || !facts.cancelledAtWarehouse.includes(c.orderId)) unexpected.push(`the cancellation of ${c.seller} ${c.orderId} did not reach the warehouse in time`);
  }

  // ---------------------------------------------------------------- confirmations
  const packages = await store.work.packages.list({ limit: 10_000 });
  const confirmedPkgs = packages.filter((p) => p.state === 'confirmed');
  const amazonShipped = emulator.orders().filter((o) => o.fulfilledBy === 'MERCHANT' && o.confirmations.length > 0);
  say(`  Confirmations: ${confirmedPkgs.length} package(s) of ${amazonShipped.length} order(s) confirmed to Amazon (${sellers.map((s) => `${s} ${amazonShipped.filter((o) => o.seller === s).length}`).join(', ')}); ${packages.length - confirmedPkgs.length} not (yet)`);
  if (packages.length !== confirmedPkgs.length) unexpected.push(`${packages.length - confirmedPkgs.length} package(s) were not confirmed to Amazon`);
  const heldIds = new Set((await store.work.orders.list({ states: ['held', 'rejected', 'cancel-sent', 'cancelled'], limit: 1000 })).map((o) => o.orderId));
  for (const o of emulator.orders()) {
    if (o.fulfilledBy !== 'MERCHANT' || o.status === 'CANCELLED' || heldIds.has(o.orderId)) continue;
    if (o.status !== 'SHIPPED') unexpected.push(`Amazon order ${o.seller} ${o.orderId} is ${o.status}, not SHIPPED`);
  }

  // ---------------------------------------------------------------- quantities
  const published = emulator.listings().filter((l) => l.quantityUpdates > 0);
  say(`  Quantities published: ${sellers.map((s) => `${s} ${published.filter((l) => l.seller === s).length} SKU(s)`).join(', ')} (${published.map((l) => `${l.sku} ${l.mfnQuantity}`).join(', ')})`);
  for (const s of sellers) if (!published.some((l) => l.seller === s)) unexpected.push(`no quantity was published for ${s}`);

  // ---------------------------------------------------------------- FBA replenishment, returns, reconciliation
  const fba = await store.work.fba.list({});
  say(`  FBA replenishments: ${fba.map((f) => `${f.shipmentId} to ${f.destinationFc} via ${f.partner}: ${f.state}`).join(', ') || 'none'}`);
  if (fba.length === 0) unexpected.push('no FBA replenishment was sent: the seed has one ready to ship');
  for (const f of fba) if (f.state !== 'tracking-accepted') unexpected.push(`FBA shipment ${f.shipmentId} is ${f.state}, not tracking-accepted`);
  const arrivals = await store.work.removals.listExpected({});
  const postings = await store.work.removals.postings({});
  say(`  Returns: ${arrivals.map((a) => `${a.source} ${a.reference} ${a.received}/${a.expected} (${a.state})`).join(', ') || 'none expected'}; receipt lines ${postings.length} (${postings.filter((p) => p.state === 'posted').length} matched, ${postings.filter((p) => p.state === 'unmatched').length} unmatched, ${postings.filter((p) => p.disposition !== 'sellable').length} not sellable)`);
  if (postings.length !== facts.returnsReceived) unexpected.push(`Reno's dock received ${facts.returnsReceived} line(s), the gateway posted ${postings.length}`);
  if (!arrivals.some((a) => a.received > 0)) unexpected.push('no removal or return was matched to a receipt');
  say(`  Reconciliation: edited on Amazon ${facts.editedOnAmazon.join(', ') || 'nothing'}; drift found by SKU: ${facts.driftFound.join(', ') || 'none'}`);
  if (facts.driftFound.length !== facts.editedOnAmazon.length) unexpected.push(`the by-SKU reconciliation found ${facts.driftFound.length} drifting SKU(s) for the ${facts.editedOnAmazon.length} edited on Amazon`);

  // ---------------------------------------------------------------- exceptions
  const all = await store.work.exceptions.list({ limit: 1000 });
  const designed = Object.keys(DESIGNED_EXCEPTIONS) as ExceptionKind[];
  say(`  Exceptions: ${all.length} (${all.filter((x) => x.state !== 'resolved').length} open). The designed ones are expected: the demo shows each kind once.`);
  const byKind = (k: ExceptionKind) => all.filter((x) => x.kind === k);
  for (const x of all) {
    say(`    #${x.id} ${x.kind} ${x.state}${x.seller ? ` ${x.seller}` : ''}${x.partner ? `/${x.partner}` : ''}: ${x.message}`);
    say(`       why: ${DESIGNED_EXCEPTIONS[x.kind] ?? 'NOT DESIGNED: look in the log'}   look: ${prefix} exceptions show ${x.id}`);
    if (!DESIGNED_EXCEPTIONS[x.kind]) unexpected.push(`exception #${x.id} ${x.kind}: ${x.message}`);
  }
  for (const k of designed) if (byKind(k).length === 0) unexpected.push(`no ${k} exception: the story is designed to raise one`);
  const overdueOpen = byKind('ack-overdue').filter((x) => x.state !== 'resolved');
  if (overdueOpen.length) unexpected.push(`${overdueOpen.length} ack-overdue still open after the late 997s came`);

  // ---------------------------------------------------------------- alerts
  const alerts = await store.work.alerts.list({ limit: 1000 });
  const rules = [...new Set(alerts.map((a) => a.rule))].sort();
  say(`  Alerts: ${alerts.length} fired (${rules.map((r) => `${r} ${alerts.filter((a) => a.rule === r).length}`).join(', ') || 'none'}), ${alerts.filter((a) => a.clearedAt).length} cleared since (each one a log line in the gateway's log, and a webhook call where the configuration names one)`);

  // ---------------------------------------------------------------- where to look
  const firstException: ExceptionRecord | undefined = byKind('unmapped-sku')[0] ?? all[0];
  const commands = {
    messagesList: `${prefix} messages list`,
    messagesShow: firstOut ? `${prefix} messages show ${firstOut.id}` : null,
    exceptionsList: `${prefix} exceptions list --open`,
    exceptionsShow: firstException ? `${prefix} exceptions show ${firstException.id}` : null,
  };
  say('  Look closer:');
  say(`    ${commands.messagesList}`);
  if (commands.messagesShow) say(`    ${commands.messagesShow}      (${firstOut!.fileName}: raw bytes, envelope, 997, history)`);
  say(`    ${commands.exceptionsList}`);
  const unmapped = byKind('unmapped-sku')[0];
  if (unmapped) {
    say(`    fix the unmapped SKU: add it to ${rel(unmapped.context.mappingFile ?? `${story.mappingsDir}/tables`)}, then (while the demo runs)`);
    say(`      set -a; . ${rel(story.envFile)}; set +a; npx dockgate exceptions retry ${unmapped.id}`);
  }
  say(`  Files: the gateway's JSON log ${rel(story.logFile)}; the partners' directories ${rel(story.partnerRoot)}; the demo's mappings ${rel(story.mappingsDir)}`);
  return { text: lines.join('\n'), unexpected, commands };
}
