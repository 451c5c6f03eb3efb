/**
 * `dockgate x12 ...`: validate, ack, to-json, from-json. Read-only unless --record: without it
 * nothing is written to the store and no control number is consumed.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { requireKnownPartner, resolvePartner } from './partners.ts';
import { requireInputFiles, requireOutputFile } from './user-paths.ts';
import { fileVerdict, humanFile, JsonReportWriter } from './validate-report.ts';
import { printable } from './terminal-text.ts';
import { allDiagnostics } from '../x12/result.ts';
import { isDuplicateReceipt, recordAcknowledgementResults, recordReceivedFile, recordTa1Result, ta1sOf, validateLocalX12 } from '../tracking/acknowledgements.ts';
import { openConfiguredStore } from './record.ts';
import { acknowledgementsFor } from './ack-output.ts';
import { convertToJson, jsonToX12 } from './json-output.ts';

function write(text: string | Buffer): void {
  process.stdout.write(text);
}

export function registerX12Commands(program: Command): void {
  const x12 = program.command('x12').description('read, validate, acknowledge and convert ASC X12 files');

  x12
    .command('validate')
    .description('validate X12 files: envelopes, control numbers, transaction-set schemas (exit 0 valid, 1 invalid, 2 usage)')
    .argument('<files...>', 'X12 files to validate')
    .option('--json', 'print the documented JSON report instead of text')
    .option('--strict', 'treat warnings as errors')
    .option('--info', 'also print info-level diagnostics in text output')
    .option('--record', 'record the files in the message store (raw bytes, message log, duplicate check)')
    .option('--partner <id>', 'partner id the files came from (with --record; default: the configured partner whose ISA id sent it)')
    .action(async (files: string[], opts: { json?: boolean; strict?: boolean; info?: boolean; record?: boolean; partner?: string }, cmd: Command) => {
      requireInputFiles(files);
      const strict = opts.strict ?? false;
      const loaded = loadConfig({ file: cmd.optsWithGlobals().config });
      requireKnownPartner(loaded.config, opts.partner);
      const store = opts.record ? await openConfiguredStore(loaded) : null;
      let allValid = true;
      // The JSON report is written as each file is validated, never held whole.
      const report = opts.json ? new JsonReportWriter(process.stdout, strict) : null;
      try {
        for (const file of files) {
          // With --record the file is read once: validated and stored as it streams.
          const { result, blob, acks } = await validateLocalX12(store, file);
          let partnerId = '';
          if (store) {
            const first = result.interchanges[0]?.header;
            const partner = first ? resolvePartner(loaded.config, { qualifier: first.senderQualifier, id: first.senderId }, opts.partner) : { id: opts.partner ?? 'unknown' };
            if (partner.warning) process.stderr.write(`dockgate: warning: ${partner.warning}\n`);
            partnerId = partner.id;
            // Recorded before the report: the store finds, as it records, a receipt of the same interchange at the same moment.
            await recordReceivedFile(store, file, result, partnerId, blob);
          }
          const v = fileVerdict(result, strict);
          allValid &&= v.valid;
          if (report) await report.file(result);
          else write(`${humanFile(result, strict, opts.info ?? false)}\n`);
          if (store) {
            // A resent (duplicate) interchange changes nothing a second time.
            const duplicate = isDuplicateReceipt(result);
            for (const report of duplicate ? [] : acks) {
              const lines = await recordAcknowledgementResults(store, partnerId, report);
              if (!opts.json) write(`${lines.map((l) => `  ${printable(l)}`).join('\n')}\n`);
            }
            for (const ta1 of duplicate ? [] : ta1sOf(result)) {
              const line = await recordTa1Result(store, partnerId, ta1);
              if (!opts.json) write(`  ${printable(line)}\n`);
            }
          }
        }
      } finally {
        await store?.close();
      }
      await report?.end(allValid);
      process.exitCode = allValid ? 0 : 1;
    });

  x12
    .command('ack')
    .description('print the acknowledgements Dockgate would send for a file: a 997 (or 999) per group, a TA1 where due')
    .argument('<file>', 'received X12 file')
    .option('--999', 'answer 005010 groups with a 999 instead of a 997')
    .option('--record', 'consume control numbers and record the acknowledgements as sent messages')
    .option('--partner <id>', 'partner id for control-number sequences and the message log (default: the configured partner whose ISA id sent the file)')
    .action(async (file: string, opts: { '999'?: boolean; record?: boolean; partner?: string }, cmd: Command) => {
      requireInputFiles([file]);
      const loaded = loadConfig({ file: cmd.optsWithGlobals().config });
      requireKnownPartner(loaded.config, opts.partner);
      const acks = await acknowledgementsFor(file, loaded, { use999: opts['999'] ?? false, record: opts.record ?? false, partner: opts.partner });
      write(acks.text);
      for (const note of acks.notes) process.stderr.write(`dockgate: note: ${printable(note)}\n`);
      // The verdict is validate's: acknowledging bad data (or finding nothing to acknowledge in it) is exit 1.
      const v = fileVerdict(acks.result, false);
      if (!v.valid) process.stderr.write(`dockgate: ${printable(file)}: INVALID — ${v.errors} error(s); \`dockgate x12 validate\` lists them\n`);
      else if (acks.text === '') process.stdout.write(`${printable(file)}: nothing to acknowledge (acknowledgements are not acknowledged)\n`);
      process.exitCode = v.valid ? 0 : 1;
    });

  x12
    .command('to-json')
    .description("convert an X12 file to Dockgate's loop-aware JSON form (docs/x12-json-form.md)")
    .argument('<file>', 'X12 file')
    .option('-o, --output <file>', 'write the JSON form to this file (replaced whole at the end, never left half-written) instead of stdout')
    .action(async (file: string, opts: { output?: string }) => {
      requireInputFiles([file]);
      if (opts.output !== undefined) requireOutputFile(opts.output);
      const { result, setErrors } = await convertToJson(file, opts.output);
      if (allDiagnostics(result).some((d) => d.code === 'file.data-between-segments')) {
        process.stderr.write(`dockgate: warning: ${printable(file)}: the bytes skipped between segments are not in the JSON form; from-json writes the segments without them\n`);
      }
      // The verdict is validate's: the form of a file with errors is written, and the exit code says it is invalid.
      const errors = fileVerdict(result, false).errors + setErrors;
      if (errors > 0) process.stderr.write(`dockgate: ${printable(file)}: INVALID — ${errors} error(s); \`dockgate x12 validate\` lists them\n`);
      process.exitCode = errors === 0 ? 0 : 1;
    });

  x12
    .command('from-json')
    .description('write X12 back from the JSON form, segment for segment (reproduce mode)')
    .argument('<file>', 'JSON file produced by to-json')
    .action(async (file: string) => {
      requireInputFiles([file]);
      write(jsonToX12(readFileSync(file, 'utf8'), file));
    });
}
