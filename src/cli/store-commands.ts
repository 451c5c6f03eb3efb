/**
 * `dockgate store ...`: look into the message store and apply the retention policy.
 */
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { loadConfig } from '../config/config.ts';
import type { MessageRow } from '../store/index.ts';
import { wholeNumber } from './options.ts';
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
    .option('--limit <n>', 'how many', wholeNumber('--limit', { min: 1, max: 1_000_000 }), 20)
    .option('--json', 'JSON output')
    .action(async (opts: { kind?: string; limit: number; json?: boolean }, cmd: Command) => {
      if (opts.kind && !['file', 'interchange', 'group', 'set'].includes(opts.kind)) throw new UsageError(`--kind must be file, interchange, group or set, not '${opts.kind}'`);
      const s = await openConfiguredStore(loadConfig({ file: cmd.optsWithGlobals().config }), { readOnly: true });
      try {
        const rows = s.list({ limit: opts.limit, kind: opts.kind as MessageRow['kind'] | undefined });
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
    .description(
      'apply the retention policy: delete the raw files of completed documents with buyer data older than store.retentionDays, and redact what the log quotes of them (rows stay)',
    )
    .option('--now <date>', 'pretend today is this ISO 8601 date or date-time (UTC unless it says): purges what would be expired by then. It deletes: add --dry-run to only see')
    .option('--dry-run', 'list what would be purged; delete and change nothing')
    .option('--json', 'JSON output: {dryRun, now, retentionDays, cutoff, files: [{id, partner, fileName, sha256, completedAt}], blobs}')
    .action(async (opts: { now?: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const parsed = opts.now === undefined ? DateTime.utc() : DateTime.fromISO(opts.now, { zone: 'utc' });
      if (!parsed.isValid) throw new UsageError(`--now must be an ISO 8601 date or date-time (2026-03-01, 2026-03-01T12:00:00Z), not '${opts.now}'`);
      const now = parsed.toJSDate();
      const loaded = loadConfig({ file: cmd.optsWithGlobals().config });
      const dryRun = opts.dryRun ?? false;
      const days = loaded.config.store.retentionDays;
      const s = await openConfiguredStore(loaded, { readOnly: dryRun, recording: false });
      try {
        const r = await s.purgeExpired(now, { dryRun });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ dryRun, now: now.toISOString(), retentionDays: days, cutoff: r.cutoff, files: r.files, blobs: r.blobs }, null, 2)}\n`);
          return;
        }
        const what = `${r.blobs.length} raw file(s) of ${r.files.length} message(s) completed before ${r.cutoff} (retention ${days} days)`;
        const out = [dryRun ? `would purge ${what}; nothing was changed (dry run)` : `purged ${what}`];
        if (dryRun) for (const f of r.files) out.push(`${String(f.id).padStart(6)}  ${f.completedAt}  ${f.partner ?? '-'}  ${f.fileName ?? '-'}  ${f.sha256}`);
        process.stdout.write(`${out.join('\n')}\n`);
      } finally {
        await s.close();
      }
    });
}
