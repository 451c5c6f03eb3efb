/**
 * `dockgate mappings check [DIR]`: every mapping file against its schema and the references
 * between them; exit 0 when clean, 1 with located problems (a folder with no partner or seller
 * file is one), 2 when the folder is not there.
 * `dockgate mappings audit`: the pre-live audit of a partner's mappings against active SKUs.
 * Text output escapes control characters (printable): SKUs and values come from files.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { auditMappings, parseSkuList, SkuListError } from '../mapping/audit.ts';
import { formatProblem, loadMappings } from '../mapping/index.ts';
import { TranslationSetupError } from '../mapping/translate.ts';
import { loadCheckedMappings } from './translate-command.ts';
import { printable } from './terminal-text.ts';
import { UsageError } from './usage-error.ts';
import { requireInputDir, requireInputFile } from './user-paths.ts';

export function registerMappingsCommands(program: Command): void {
  const mappings = program.command('mappings').description('partner and seller mapping files');
  mappings
    .command('check')
    .description('check every mapping file: schema, references between files, X12 layout paths (exit 0 clean, 1 problems)')
    .argument('[dir]', 'folder of mapping files (default: mappings)')
    .option('--mappings <dir>', 'the folder, as the other commands name it')
    .option('--json', 'the findings as JSON: { folder, ok, files, counts, findings: [{ file, line, column, code, message }] }')
    .action((arg: string | undefined, o: { mappings?: string; json?: boolean }) => {
      if (arg !== undefined && o.mappings !== undefined && arg !== o.mappings) throw new UsageError(`two folders named (${printable(arg)} and --mappings ${printable(o.mappings)}): name one`);
      const dir = arg ?? o.mappings ?? 'mappings';
      const { problems, files, mappings: m } = loadMappings(requireInputDir(dir, 'mapping folder'));
      const counts = { sellers: m.sellers.size, partners: m.partners.size, layouts: m.layouts.size, skuTables: m.skuTables.size, carrierTables: m.carrierTables.size };
      if (o.json) process.stdout.write(`${JSON.stringify({ folder: dir, ok: problems.length === 0, files, counts, findings: problems }, null, 2)}\n`);
      else {
        for (const p of problems) process.stdout.write(`${printable(formatProblem(p))}\n`);
        process.stdout.write(
          printable(
            problems.length === 0
              ? `${dir}: ${files} file(s) OK — ${counts.sellers} seller(s), ${counts.partners} partner(s), ${counts.layouts} layout(s), ${counts.skuTables} SKU table(s), ${counts.carrierTables} carrier table(s)`
              : `${dir}: ${problems.length} problem(s) in ${files} file(s)`,
          ) + '\n',
        );
      }
      process.exitCode = problems.length === 0 ? 0 : 1;
    });
  registerMappingsAudit(mappings);
}

export function registerMappingsAudit(mappingsCommand: Command): void {
  mappingsCommand
    .command('audit')
    .description('pre-live audit: every active SKU through the real order and shipment-advice path (exit 1 when any would fail, be held or mis-pick)')
    .requiredOption('--partner <id>', 'partner id')
    .option('--seller <id>', 'only this seller (default: every seller the partner serves)')
    .requiredOption('--skus <file>', "active SKUs: Amazon's listings report (tab-separated, seller-sku column), a CSV with a sku column, or one SKU per line")
    .option('--mappings <dir>', 'folder of mapping files', 'mappings')
    .option('--json', 'findings as JSON')
    .action(async (o: { partner: string; seller?: string; skus: string; mappings: string; json?: boolean }) => {
      const text = readFileSync(requireInputFile(o.skus, '--skus file'), 'utf8');
      let skus;
      try {
        skus = parseSkuList(text);
      } catch (e) {
        if (e instanceof SkuListError) throw new UsageError(`${printable(o.skus)}:${e.line}:${e.column}: ${e.message}`);
        throw e;
      }
      if (skus.length === 0) throw new UsageError(`${printable(o.skus)} lists no SKU`);
      const mappings = loadCheckedMappings(o.mappings);
      let findings;
      try {
        findings = await auditMappings(mappings, o.partner, skus, o.seller);
      } catch (e) {
        if (e instanceof TranslationSetupError) throw new UsageError(printable(e.message));
        throw e;
      }
      const bad = findings.filter((f) => f.status === 'held' || f.status === 'fails' || f.status === 'mis-pick');
      if (o.json) process.stdout.write(`${JSON.stringify({ partner: o.partner, findings }, null, 2)}\n`);
      else {
        const subjects = findings.map((f) => printable(f.subject));
        const width = subjects.reduce((w, s) => Math.max(w, s.length), 0);
        findings.forEach((f, i) => process.stdout.write(`${subjects[i].padEnd(width)}  ${f.status.toUpperCase().padEnd(8)}  ${printable(`${f.seller ? `[${f.seller}] ` : ''}${f.detail}`)}\n`));
        const count = (s: string, carriers: boolean) => findings.filter((f) => f.status === s && f.subject.startsWith('carrier ') === carriers).length;
        const sum = (carriers: boolean) => `${count('ok', carriers)} ok, ${count('warning', carriers)} warning(s), ${count('held', carriers)} held, ${count('fails', carriers)} failing${carriers ? '' : `, ${count('mis-pick', false)} mis-pick(s)`}`;
        const carriers = findings.filter((f) => f.subject.startsWith('carrier ')).length;
        process.stdout.write(`${printable(o.partner)}: ${skus.length} SKU(s): ${sum(false)}; ${carriers} carrier(s): ${sum(true)}\n`);
      }
      process.exitCode = bad.length ? 1 : 0;
    });
}
