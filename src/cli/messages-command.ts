/**
 * `dockgate messages list | show | resend`: the files the gateway moved, with their status axes
 * (validation, delivery, acknowledgement) and the orders they carried. list and show open the
 * store read-only; resend sends the same documents again under new control numbers.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { FLOWS, listMessages, showMessage, type MessageSummary } from '../gateway/messages.ts';
// The gateway's modules (flows, adapters, transports) load only in the actions that use them.
const commandContext = () => import('../gateway/command-context.ts');
import { wholeNumber } from './options.ts';
import { printable } from './terminal-text.ts';
import { UsageError } from './usage-error.ts';

const out = (text: string) => process.stdout.write(text);

function messageId(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new UsageError(`message id must be a number (from \`dockgate messages list\`), not ${JSON.stringify(printable(text))}`);
  return Number(text);
}

function line(s: MessageSummary): string {
  const a = s.axes;
  const axes = a ? [a.validation && `validation ${a.validation}`, a.delivery && `delivery ${a.delivery}${a.deliveredAt ? ` ${a.deliveredAt}` : ''}`, a.acknowledgement && `ack ${a.acknowledgement}${a.acknowledgedAt ? ` ${a.acknowledgedAt}` : a.ackDueAt ? ` (due ${a.ackDueAt})` : ''}`].filter(Boolean).join(', ') : '';
  const orders = s.orders.length ? `; orders ${s.orders.slice(0, 5).map((o) => `${o.seller}/${o.orderId}`).join(' ')}${s.orders.length > 5 ? ` +${s.orders.length - 5}` : ''}` : '';
  const docs = s.documents.length ? `; ${s.documents.length} document(s) ${[...new Set(s.documents.map((d) => d.state))].join('/')}` : '';
  return printable(`${String(s.id).padStart(6)}  ${s.createdAt}  ${s.direction === 'out' ? '->' : '<-'} ${s.partner ?? '?'}  ${s.flow}  ${s.fileName ?? ''}: ${s.status}${axes ? ` [${axes}]` : ''}${orders}${docs}${s.purged ? ' (raw file purged)' : ''}`);
}

export function registerMessagesCommands(program: Command): void {
  const messages = program.command('messages').description('the files the gateway sent and received: status axes, orders carried, acknowledgements');

  messages
    .command('list')
    .description('the most recent files, newest first')
    .option('--flow <flow>', `one of ${FLOWS.join(', ')}`)
    .option('--partner <id>', 'partner id')
    .option('--seller <id>', 'seller id (files carrying its orders or documents)')
    .option('--order <id>', 'Amazon order id (files that carried it)')
    .option('--state <state>', 'a status or axis value: delivered, awaiting, overdue, rejected, processed, ...')
    .option('--limit <n>', 'how many', wholeNumber('--limit', { min: 1, max: 100_000 }), 50)
    .option('--json', 'JSON output')
    .action(async (opts: { flow?: string; partner?: string; seller?: string; order?: string; state?: string; limit: number; json?: boolean }, cmd: Command) => {
      if (opts.flow && !(FLOWS as readonly string[]).includes(opts.flow)) throw new UsageError(`--flow must be one of ${FLOWS.join(', ')}, not ${JSON.stringify(printable(opts.flow))}`);
      const store = (await commandContext()).openReadOnlyStore(loadConfig({ file: cmd.optsWithGlobals().config }));
      try {
        const rows = await listMessages(store, opts);
        if (opts.json) out(`${JSON.stringify(rows, null, 2)}\n`);
        else out(rows.length ? `${rows.map(line).join('\n')}\n` : 'no messages match\n');
      } finally {
        await store.close();
      }
    });

  messages
    .command('show')
    .description('one message: raw bytes, the X12 JSON form, its envelope tree, status history and acknowledgement')
    .argument('<id>', 'message id (from messages list)')
    .option('--json', 'JSON output')
    .action(async (idText: string, opts: { json?: boolean }, cmd: Command) => {
      const id = messageId(idText);
      const store = (await commandContext()).openReadOnlyStore(loadConfig({ file: cmd.optsWithGlobals().config }));
      try {
        const d = await showMessage(store, id);
        if (!d) throw new UsageError(`no message ${id} in the store (dockgate messages list shows them)`);
        if (opts.json) {
          out(`${JSON.stringify(d, null, 2)}\n`);
          return;
        }
        const lines = [line(d.summary)];
        if (d.message.id !== d.summary.id) lines.push(printable(`  (message ${d.message.id} is the ${d.message.kind} ${d.message.docType ?? ''} ${d.message.control ?? ''} in this file)`));
        lines.push('', 'envelope:');
        for (const r of d.tree) lines.push(printable(`  ${String(r.id).padStart(6)} ${r.kind} ${r.docType ?? ''} ${r.control ? `#${r.control}` : ''}: ${r.status}${r.statusReason ? ` — ${r.statusReason}` : ''}`));
        if (d.summary.documents.length) {
          lines.push('', 'documents:');
          for (const doc of d.summary.documents) lines.push(printable(`  ${doc.index} ${doc.document} ${doc.seller ?? ''} ${doc.key ?? ''}: ${doc.state}${doc.reason ? ` — ${doc.reason}` : ''}`));
        }
        lines.push('', 'history:');
        for (const e of d.events) lines.push(printable(`  ${e.at} [${e.messageId}] ${e.fromStatus ?? '(new)'} -> ${e.toStatus}${e.reason ? `: ${e.reason}` : ''}`));
        lines.push('', d.raw === null ? 'raw bytes: not kept (purged by the retention policy, or never stored)' : 'raw bytes:');
        if (d.raw !== null) for (const l of d.raw.split(/\r?\n/)) lines.push(`  ${printable(l)}`);
        if (d.x12) lines.push('', 'X12 JSON form:', ...JSON.stringify(d.x12, null, 2).split('\n').map((l) => `  ${printable(l)}`));
        out(`${lines.join('\n')}\n`);
      } finally {
        await store.close();
      }
    });

  messages
    .command('resend')
    .description('send the same documents again under new control numbers (the running gateway, or the next start --once, delivers them)')
    .argument('<id>', 'message id of a file we sent')
    .action(async (idText: string, _opts: unknown, cmd: Command) => {
      const id = messageId(idText);
      const c = await (await commandContext()).openCommandContext(loadConfig({ file: cmd.optsWithGlobals().config }));
      try {
        const m = c.ctx.store.get(id);
        if (!m) throw new UsageError(`no message ${id} in the store (dockgate messages list shows them)`);
        if (m.direction !== 'out') throw new UsageError(`message ${id} was received, not sent: only what we sent can be resent`);
        out(`${printable(await (await import('../flows/acknowledgements.ts')).resendMessage(c.ctx, id))}\n`);
      } finally {
        await c.close();
      }
    });
}
