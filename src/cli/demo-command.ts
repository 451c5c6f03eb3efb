/**
 * `dockgate demo`: the main job on embedded defaults. Until the flows exist it shows the X12
 * engine on the files in samples/x12: validate each file (recording it in the data
 * directory), print the acknowledgements an inbound file earns, and prove the JSON round trip.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { allDiagnostics } from '../x12/result.ts';
import { validateFile } from '../x12/validate-file.ts';
import { acknowledgementsFor } from './ack-output.ts';
import { fileToJson, jsonToX12 } from './json-output.ts';
import { openConfiguredStore, recordReceivedFile } from './record.ts';
import { humanFile } from './validate-report.ts';

const SAMPLES = fileURLToPath(new URL('../../samples/x12/', import.meta.url));

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the X12 engine on the sample files: validate and record, acknowledge, JSON round trip')
    .option('--samples <dir>', 'folder of X12 files', SAMPLES)
    .action(async (opts: { samples: string }, cmd: Command) => {
      const loaded = loadConfig({ file: cmd.optsWithGlobals().config });
      const out = (s: string) => process.stdout.write(`${s}\n`);
      const files = readdirSync(opts.samples)
        .filter((f) => /\.(edi|x12|txt)$/i.test(f))
        .sort()
        .map((f) => join(opts.samples, f));
      out(`Dockgate demo — data directory ${loaded.dataDir}\n`);
      out('1. Validate and record every sample file (raw bytes kept content-addressed, message log in SQLite)');
      const store = await openConfiguredStore(loaded);
      let unexpected = 0;
      try {
        for (const file of files) {
          const name = relative(process.cwd(), file);
          const result = await validateFile(file, {
            file: name,
            isDuplicateInterchange: (q, id, control) => store.hasInterchange(q, id, control),
          });
          out(humanFile(result, false, false));
          const errors = allDiagnostics(result).filter((d) => d.level === 'error');
          // bad-*.edi samples are broken on purpose; anything else must be valid, or say why.
          const duplicateOnly = errors.length > 0 && errors.every((d) => d.code === 'isa.duplicate');
          if (duplicateOnly) out('   (already recorded by an earlier demo run: a resent interchange is refused as a duplicate)');
          else if ((errors.length > 0) !== /(^|\/)bad-/.test(file)) unexpected++;
          await recordReceivedFile(store, name, result, 'demo');
        }
      } finally {
        await store.close();
      }
      const inbound = files.find((f) => f.endsWith('acme-945-shipment-advice.edi'));
      const broken = files.find((f) => f.endsWith('bad-945.edi'));
      for (const file of [inbound, broken]) {
        if (!file) continue;
        out(`\n2. The acknowledgements Dockgate would send for ${relative(process.cwd(), file)} (nothing consumed):`);
        out((await acknowledgementsFor(file, loaded, { use999: false, record: false })).trimEnd());
      }
      out('\n3. X12 -> JSON form -> X12 round trip (reproduce mode):');
      for (const file of files) {
        if (/(^|\/)bad-/.test(file)) continue;
        const back = jsonToX12(await fileToJson(file), file);
        const same = Buffer.compare(back, readFileSync(file)) === 0;
        if (!same) unexpected++;
        out(`   ${relative(process.cwd(), file)}: ${same ? 'identical bytes' : 'DIFFERS'}`);
      }
      out(`\nTry: npx dockgate x12 validate --json samples/x12/bad-945.edi   |   npx dockgate store list`);
      process.exitCode = unexpected === 0 ? 0 : 1;
    });
}
