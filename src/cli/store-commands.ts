/**
 * `dockgate store ...`: look into the message store, apply the retention policy, and move an
 * SQLite store to PostgreSQL (the copy itself: src/store/transfer.ts).
 */
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { dirname } from 'node:path';
import { loadConfig } from '../config/config.ts';
import { redactUrl, type MessageRow } from '../store/index.ts';
import { TransferError, TransferRefusedError, transferSqliteToPostgres, type TransferResult } from '../store/transfer.ts';
import { wholeNumber } from './options.ts';
import { openConfiguredStore } from './record.ts';
import { shownPath } from './terminal-text.ts';
import { UsageError } from './usage-error.ts';
import { requireDataDir } from './user-paths.ts';

function line(m: MessageRow): string {
  const what = [m.kind, m.direction, m.docType, m.control && `#${m.control}`, m.fileName].filter(Boolean).join(' ');
  const why = m.statusReason ? ` — ${m.statusReason}` : '';
  return `${String(m.id).padStart(6)}  ${m.createdAt}  ${what}: ${m.status}${why}${m.purgedAt ? ' (raw file purged)' : ''}`;
}

/** What `store migrate` did, and the configuration the PostgreSQL instances need. */
function migrationSummary(r: TransferResult, dataDir: string, url: string, keyEnv: string): string {
  const shown = redactUrl(url);
  const width = Math.max(...r.tables.map((t) => t.table.length));
  const total = r.tables.reduce((n, t) => n + t.rows, 0);
  const dataDirForPostgres = r.rawCopiedTo ? dirname(r.rawCopiedTo) : dataDir;
  const out = [
    `copied the SQLite store in ${shownPath(dataDir)} (migration ${String(r.migration).padStart(4, '0')}) into ${shown}:`,
    ...r.tables.map((t) => `  ${t.table.padEnd(width)}  ${String(t.rows).padStart(9)}`),
    `  ${'total'.padEnd(width)}  ${String(total).padStart(9)} rows`,
    '',
    `raw files: ${r.rawFiles} in ${shownPath(r.rawSource)}; they are not in the database: the PostgreSQL store reads them from <dataDir>/raw.`,
    r.rawCopiedTo
      ? `  copied to ${shownPath(r.rawCopiedTo)}: give every instance dataDir ${shownPath(dataDirForPostgres)} (a shared volume for instances on several machines).`
      : `  give every instance dataDir ${shownPath(dataDir)} (or a copy of it, e.g. on a shared volume: copy ${shownPath(r.rawSource)} to <dataDir>/raw there, or run again into an empty database with --raw-dir).`,
    '',
    'configuration of the PostgreSQL instances:',
    `  store: { postgres: { url: ${shown} } }   or DOCKGATE_DATABASE_URL=${shown} (keep the password there, not in the file)`,
    `  dataDir: ${shownPath(dataDirForPostgres)}`,
  ];
  if (r.encrypted) out.push(`  ${keyEnv}: the same key as now (raw files are encrypted with it)`);
  out.push('', 'the SQLite store is left as it was: keep the gateway on it stopped, or the two stores drift apart (what it records from now on is not copied).');
  return `${out.join('\n')}\n`;
}

export function registerStoreCommands(program: Command): void {
  const store = program.command('store').description('the message store: list, trace, retention, migrate to PostgreSQL');

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

  store
    .command('migrate')
    .description(
      'copy the SQLite store of the data directory (dataDir / DOCKGATE_DATA_DIR) into an empty PostgreSQL database, which the gateway then uses (store.postgres.url / DOCKGATE_DATABASE_URL); stop the gateway first. The SQLite store is only read',
    )
    .requiredOption('--to <url>', 'postgres://user:password@host:port/database: an empty database (the migrations are applied first)')
    .option('--raw-dir <dir>', 'also copy the raw files (<dataDir>/raw) to this folder, named raw: the PostgreSQL instances then use its parent as dataDir')
    .action(async (opts: { to: string; rawDir?: string }, cmd: Command) => {
      if (!/^postgres(ql)?:\/\//.test(opts.to)) throw new UsageError(`--to must be a postgres://user:password@host:port/database URL, not ${JSON.stringify(redactUrl(opts.to))}`);
      const loaded = loadConfig({ file: cmd.optsWithGlobals().config });
      const dataDir = requireDataDir(loaded.dataDir);
      let result: TransferResult;
      try {
        result = await transferSqliteToPostgres({ dataDir, url: opts.to, rawDir: opts.rawDir });
      } catch (e) {
        if (e instanceof TransferRefusedError) throw new UsageError(e.message);
        if (e instanceof TransferError) {
          process.stderr.write(`dockgate: ${e.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw e;
      }
      process.stdout.write(migrationSummary(result, dataDir, opts.to, loaded.config.store.encryptionKeyEnv));
    });
}
