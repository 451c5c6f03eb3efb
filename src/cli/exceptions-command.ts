/**
 * `dockgate exceptions list | show | retry | resolve | assign`: the exception queue. list and
 * show open the store read-only; retry reloads the mappings (the fix just made) and runs the
 * flow's retry for the exception's kind.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
// The gateway's modules (flows, adapters, transports) load only in the actions that use them.
const commandContext = () => import('../gateway/command-context.ts');
import { openStore } from '../store/index.ts';
import { EXCEPTION_KINDS, type ExceptionKind, type ExceptionRecord, type GatewayStore } from '../store/work.ts';
import { requireDataDir } from './user-paths.ts';
import { wholeNumber } from './options.ts';
import { printable } from './terminal-text.ts';
import { UsageError } from './usage-error.ts';

const out = (text: string) => process.stdout.write(text);

function exceptionId(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new UsageError(`exception id must be a number (from \`dockgate exceptions list\`), not ${JSON.stringify(printable(text))}`);
  return Number(text);
}

function kind(text: string | undefined): ExceptionKind | undefined {
  if (text === undefined) return undefined;
  if (!(EXCEPTION_KINDS as readonly string[]).includes(text)) throw new UsageError(`--kind must be one of ${EXCEPTION_KINDS.join(', ')}, not ${JSON.stringify(printable(text))}`);
  return text as ExceptionKind;
}

function line(x: ExceptionRecord): string {
  const who = [x.seller && `seller ${x.seller}`, x.partner && `partner ${x.partner}`].filter(Boolean).join(' ');
  return printable(`${String(x.id).padStart(6)}  ${x.state.padEnd(12)} ${x.severity.padEnd(8)} ${x.kind} ${x.key}${who ? ` (${who})` : ''} x${x.count}, last ${x.lastSeen}${x.owner ? `, owner ${x.owner}` : ''}: ${x.message}`);
}

function details(x: ExceptionRecord): string {
  const c = x.context;
  const lines = [line(x), `  first seen ${x.firstSeen}, last seen ${x.lastSeen}, ${x.count} time(s)${x.resolvedAt ? `, resolved ${x.resolvedAt}` : ''}`];
  if (c.file) lines.push(`  file: ${c.file.name}${c.file.messageId !== undefined ? ` (message ${c.file.messageId}: dockgate messages show ${c.file.messageId})` : ''}`);
  if (c.where) lines.push(`  where: ${c.where}`);
  if (c.mappingFile) lines.push(`  fix: ${c.mappingFile}${c.mappingKey ? ` at ${c.mappingKey}` : ''}`);
  if (c.excerpt) lines.push(`  excerpt: ${c.excerpt}`);
  if (c.details) for (const [k, v] of Object.entries(c.details)) lines.push(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  if (x.refs.length) lines.push(`  affects (${x.refs.length}): ${x.refs.join(' ')}`);
  if (x.note) lines.push(`  note: ${x.note}`);
  return lines.map(printable).join('\n');
}

export function registerExceptionsCommands(program: Command): void {
  const exceptions = program.command('exceptions').description('the exception queue: what needs a person, and what to fix');

  exceptions
    .command('list')
    .description('exceptions, most recently seen first')
    .option('--open', 'only the unresolved (open or acknowledged)')
    .option('--kind <kind>', `one of ${EXCEPTION_KINDS.join(', ')}`)
    .option('--seller <id>', 'seller id')
    .option('--partner <id>', 'partner id')
    .option('--limit <n>', 'how many', wholeNumber('--limit', { min: 1, max: 100_000 }), 100)
    .option('--json', 'JSON output')
    .action(async (opts: { open?: boolean; kind?: string; seller?: string; partner?: string; limit: number; json?: boolean }, cmd: Command) => {
      const k = kind(opts.kind);
      const store = (await commandContext()).openReadOnlyStore(loadConfig({ file: cmd.optsWithGlobals().config }));
      try {
        const rows = await store.work.exceptions.list({ states: opts.open ? ['open', 'acknowledged'] : undefined, kind: k, seller: opts.seller, partner: opts.partner, limit: opts.limit });
        if (opts.json) out(`${JSON.stringify(rows, null, 2)}\n`);
        else out(rows.length ? `${rows.map(line).join('\n')}\n` : 'no exceptions match\n');
      } finally {
        await store.close();
      }
    });

  exceptions
    .command('show')
    .description('one exception: what, where, the file and mapping key to fix, what it affects')
    .argument('<id>', 'exception id')
    .option('--json', 'JSON output')
    .action(async (idText: string, opts: { json?: boolean }, cmd: Command) => {
      const id = exceptionId(idText);
      const store = (await commandContext()).openReadOnlyStore(loadConfig({ file: cmd.optsWithGlobals().config }));
      try {
        const x = await store.work.exceptions.get(id);
        if (!x) throw new UsageError(`no exception ${id} (dockgate exceptions list shows them)`);
        out(opts.json ? `${JSON.stringify(x, null, 2)}\n` : `${details(x)}\n`);
      } finally {
        await store.close();
      }
    });

  exceptions
    .command('retry')
    .description("after a fix: reload the mappings and run the flow's retry (one exception, or every open one of a kind)")
    .argument('[id]', 'exception id')
    .option('--kind <kind>', 'every unresolved exception of this kind')
    .action(async (idText: string | undefined, opts: { kind?: string }, cmd: Command) => {
      if ((idText === undefined) === (opts.kind === undefined)) throw new UsageError('exceptions retry takes an exception id or --kind K (one of them)');
      const k = kind(opts.kind);
      const id = idText === undefined ? undefined : exceptionId(idText);
      const c = await (await commandContext()).openCommandContext(loadConfig({ file: cmd.optsWithGlobals().config }));
      const [{ allRetries }, { flows }] = await Promise.all([import('../gateway/retries.ts'), import('../flows/index.ts')]);
      const retries = allRetries(flows);
      let failed = 0;
      try {
        let targets: ExceptionRecord[];
        if (id !== undefined) {
          const x = await c.ctx.store.work.exceptions.get(id);
          if (!x) throw new UsageError(`no exception ${id} (dockgate exceptions list shows them)`);
          if (x.state === 'resolved') throw new UsageError(`exception ${id} is resolved already`);
          targets = [x];
        } else {
          targets = await c.ctx.store.work.exceptions.list({ states: ['open', 'acknowledged'], kind: k });
          if (targets.length === 0) out(`no unresolved ${k} exceptions\n`);
        }
        for (const x of targets) {
          const retry = retries[x.kind];
          if (!retry) {
            out(`${printable(`${x.id} ${x.kind}: no retry for this kind; once its cause is fixed, dockgate exceptions resolve ${x.id} --note TEXT`)}\n`);
            failed++;
            continue;
          }
          try {
            out(`${printable(`${x.id} ${x.kind} ${x.key}: ${await retry(c.ctx, x)}`)}\n`);
          } catch (e) {
            failed++;
            out(`${printable(`${x.id} ${x.kind} ${x.key}: retry failed: ${(e as Error).message}`)}\n`);
          }
        }
      } finally {
        await c.close();
      }
      process.exitCode = failed ? 1 : 0;
    });

  exceptions
    .command('resolve')
    .description('mark an exception resolved, saying how; a receipt-unmatched one by matching its receipt line to an arrival (--match)')
    .argument('<id>', 'exception id')
    .option('--note <text>', 'what was done (with --match: added to the note the match writes)')
    .option('--match <ref>', 'receipt-unmatched: the removal order id (RMV-...), LPN or Amazon order id of the open arrival the line is; its units are posted')
    .action(async (idText: string, opts: { note?: string; match?: string }, cmd: Command) => {
      const id = exceptionId(idText);
      if (opts.match !== undefined) {
        if (opts.match.trim() === '') throw new UsageError('--match must name a removal order id, an LPN or an Amazon order id');
        await matchReceipt(cmd, id, opts.match, opts.note);
        return;
      }
      if (opts.note === undefined) throw new UsageError("required option '--note <text>' not specified (or --match REF for a receipt-unmatched exception)");
      if (opts.note.trim() === '') throw new UsageError('--note must say what was done');
      await withWritableStore(cmd, async (store, now) => {
        const x = await store.work.exceptions.get(id);
        if (!x) throw new UsageError(`no exception ${id} (dockgate exceptions list shows them)`);
        await store.work.exceptions.resolve(id, opts.note!, now);
        out(`${printable(`${id} ${x.kind} ${x.key}: resolved`)}\n`);
      });
    });

  exceptions
    .command('assign')
    .description('give an exception an owner (it becomes acknowledged)')
    .argument('<id>', 'exception id')
    .requiredOption('--owner <name>', 'who handles it')
    .action(async (idText: string, opts: { owner: string }, cmd: Command) => {
      const id = exceptionId(idText);
      if (opts.owner.trim() === '') throw new UsageError('--owner must name someone');
      await withWritableStore(cmd, async (store, now) => {
        const x = await store.work.exceptions.get(id);
        if (!x) throw new UsageError(`no exception ${id} (dockgate exceptions list shows them)`);
        await store.work.exceptions.assign(id, opts.owner, now);
        out(`${printable(`${id} ${x.kind} ${x.key}: assigned to ${opts.owner}`)}\n`);
      });
    });
}

/**
 * `resolve ID --match REF`: the receipt line posted by hand (src/flows/removals.ts matchByHand),
 * over a full context: sellable units reach the stock and the seller's next publication. A
 * reference that fits no open arrival is a usage error naming what exists (exit 2).
 */
async function matchReceipt(cmd: Command, id: number, reference: string, note: string | undefined): Promise<void> {
  const c = await (await commandContext()).openCommandContext(loadConfig({ file: cmd.optsWithGlobals().config }));
  const { matchByHand, MatchError } = await import('../flows/removals.ts');
  try {
    const r = await matchByHand(c.ctx, { exceptionId: id }, reference, note);
    out(`${printable(`${id} receipt-unmatched: resolved: ${r.line}`)}\n`);
  } catch (e) {
    if (e instanceof MatchError) throw new UsageError(e.message);
    throw e;
  } finally {
    await c.close();
  }
}

/** resolve / assign write one row: the store alone, no mappings or transports. */
async function withWritableStore(cmd: Command, run: (store: GatewayStore, now: string) => Promise<void>): Promise<void> {
  const loaded = loadConfig({ file: cmd.optsWithGlobals().config });
  const store = openStore({ dataDir: requireDataDir(loaded.dataDir), encryptionKey: loaded.storeKey, retentionDays: loaded.config.store.retentionDays, databaseUrl: loaded.databaseUrl, poolSize: loaded.config.store.postgres?.poolSize }) as unknown as GatewayStore;
  try {
    await run(store, new Date().toISOString());
  } finally {
    await store.close();
  }
}
