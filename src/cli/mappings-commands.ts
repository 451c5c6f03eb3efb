/**
 * `dockgate mappings check [DIR]`: every mapping file against its schema and the references
 * between them; exit 0 when clean, 1 with located problems.
 * `dockgate mappings audit`: the pre-live audit of a partner's mappings against active SKUs.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { auditMappings, parseSkuList } from '../mapping/audit.ts';
import { formatProblem, loadMappings } from '../mapping/index.ts';
import { TranslationSetupError } from '../mapping/translate.ts';
import { loadCheckedMappings } from './translate-command.ts';
import { UsageError } from './usage-error.ts';

export function registerMappingsCommands(program: Command): void {
  const mappings = program.command('mappings').description('partner and seller mapping files');
  mappings
    .command('check')
    .description('check every mapping file: schema, references between files, X12 layout paths (exit 0 clean, 1 problems)')
    .argument('[dir]', 'folder of mapping files', 'mappings')
    .action((dir: string) => {
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`no such folder: ${dir}`);
      const { problems, files, mappings: m } = loadMappings(dir);
      for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
      process.stdout.write(
        problems.length === 0
          ? `${dir}: ${files} file(s) OK — ${m.sellers.size} seller(s), ${m.partners.size} partner(s), ${m.layouts.size} layout(s), ${m.skuTables.size} SKU table(s), ${m.carrierTables.size} carrier table(s)\n`
          : `${dir}: ${problems.length} problem(s) in ${files} file(s)\n`,
      );
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
      let text: string;
      try {
        text = readFileSync(o.skus, 'utf8');
      } catch {
        throw new UsageError(`cannot read ${o.skus}`);
      }
      const skus = parseSkuList(text);
      if (skus.length === 0) throw new UsageError(`${o.skus} lists no SKU`);
      const mappings = loadCheckedMappings(o.mappings);
      let findings;
      try {
        findings = await auditMappings(mappings, o.partner, skus, o.seller);
      } catch (e) {
        if (e instanceof TranslationSetupError) throw new UsageError(e.message);
        throw e;
      }
      const bad = findings.filter((f) => f.status === 'held' || f.status === 'fails' || f.status === 'mis-pick');
      if (o.json) process.stdout.write(`${JSON.stringify({ partner: o.partner, findings }, null, 2)}\n`);
      else {
        const width = Math.max(...findings.map((f) => f.subject.length));
        for (const f of findings) process.stdout.write(`${f.subject.padEnd(width)}  ${f.status.toUpperCase().padEnd(8)}  ${f.seller ? `[${f.seller}] ` : ''}${f.detail}\n`);
        const count = (s: string, carriers: boolean) => findings.filter((f) => f.status === s && f.subject.startsWith('carrier ') === carriers).length;
        const sum = (carriers: boolean) => `${count('ok', carriers)} ok, ${count('warning', carriers)} warning(s), ${count('held', carriers)} held, ${count('fails', carriers)} failing${carriers ? '' : `, ${count('mis-pick', false)} mis-pick(s)`}`;
        const carriers = findings.filter((f) => f.subject.startsWith('carrier ')).length;
        process.stdout.write(`${o.partner}: ${skus.length} SKU(s): ${sum(false)}; ${carriers} carrier(s): ${sum(true)}\n`);
      }
      process.exitCode = bad.length ? 1 : 0;
    });
}
