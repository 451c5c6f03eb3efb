/**
 * `dockgate store ...`: look into the message store and apply the retention policy.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import type { MessageRow } from '../store/index.ts';
import { openConfiguredStore } from './record.ts';
import { UsageError } from './usage-error.ts';

function line(m: MessageRow): string {
  const what = [m.kind, m.direction, m.docType, m.control && `#${m.control}`, m.fileName].filter(Boolean).join(' ');
  const why = m.statusReason ? ` — ${m.statusReason}` : '';
  return `${String(m.id).padStart(6)}  ${m.createdAt}  ${what}: ${m.status}${why}${m.purgedAt ? ' (raw file purged)' : ''}`;
}

export function registerStoreCommands(program: Command): void {
  const store = program.command('store').description('the message store: list, trace, retention');

  store
    .command('list')
    .description('the most recent messages')
    .option('--kind <kind>', 'file, interchange, group or set')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'JSON output')
    .action(async (opts: { kind?: string; limit: string; json?: boolean }, cmd: Command) => {
      if (opts.kind && !['file', 'interchange', 'group', 'set'].includes(opts.kind)) throw new UsageError(`--kind must be file, interchange, group or set, not '${opts.kind}'`);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive whole number');
      const s = await openConfiguredStore(loadConfig({ file: cmd.optsWithGlobals().config }), { readOnly: true });
      try {
        const rows = s.list({ limit, kind: opts.kind as MessageRow['kind'] | undefined });
        process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : rows.map(line).join('\n') + (rows.length ? '\n' : 'no messages recorded yet\n'));
      } finally {
        await s.close();
      }
    });

  store
    .command('trace')
    .description("a message with its origin (parents up to the file), its children and its status history")
    .argument('<id>', 'message id (from `store list`)')
    .option('--json', 'JSON output')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      if (!/^\d+$/.test(id)) throw new UsageError(`message id must be a number, not '${id}'`);
      const s = await openConfiguredStore(loadConfig({ file: cmd.optsWithGlobals().config }), { readOnly: true });
      try {
        const t = s.trace(Number(id));
        if (!t) {
          process.stderr.write(`no message ${id}\n`);
          process.exitCode = 1;
          return;
        }
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(t, null, 2)}\n`);
          return;
        }
        const out = [line(t.message)];
        for (const p of t.parents) out.push(`  in ${line(p).trim()}`);
        for (const c of t.children) out.push(`  has ${line(c).trim()}`);
        for (const e of t.events) out.push(`  ${e.at} ${e.fromStatus ?? '(new)'} -> ${e.toStatus}${e.reason ? `: ${e.reason}` : ''}`);
        if (t.message.diagnostics?.first.length) out.push(...t.message.diagnostics.first.map((d) => `  ${d}`));
        process.stdout.write(`${out.join('\n')}\n`);
      } finally {
        await s.close();
      }
    });

  store
    .command('purge')
    .description('apply the retention policy now: delete raw files of completed documents with buyer data older than the retention period')
    .option('--now <iso>', 'pretend the current time is this ISO date-time (to check what a later run would purge)')
    .action(async (opts: { now?: string }, cmd: Command) => {
      const now = opts.now ? new Date(opts.now) : new Date();
      if (Number.isNaN(now.getTime())) throw new UsageError(`--now must be an ISO date-time, not '${opts.now}'`);
      const loaded = loadConfig({ file: cmd.optsWithGlobals().config });
      const s = await openConfiguredStore(loaded);
      try {
        const r = await s.purgeExpired(now);
        process.stdout.write(`purged ${r.blobs.length} raw file(s) of ${r.messages} message(s) older than ${loaded.config.store.retentionDays} days\n`);
      } finally {
        await s.close();
      }
    });
}
