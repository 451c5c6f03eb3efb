/**
 * `dockgate mappings check [DIR]`: every mapping file against its schema and the references
 * between them; exit 0 when clean, 1 with located problems.
 */
import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { formatProblem, loadMappings } from '../mapping/index.ts';
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
}
