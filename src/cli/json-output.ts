/**
 * to-json / from-json: the X12 JSON form both ways (reproduce mode).
 *
 * to-json reads the file twice: once to validate it (the verdict `x12 validate` gives, and
 * whether the form can hold it at all, before a byte is written), then to write the form as a
 * stream, a set at a time. Memory stays bounded by the largest set, whatever the file's size.
 */
import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { UNREPRESENTABLE, parseDocument, writeJsonForm } from '../x12/json-form.ts';
import { readX12 } from '../x12/reader.ts';
import { allDiagnostics, type FileResult } from '../x12/result.ts';
import type { SetTree } from '../x12/tree.ts';
import { validateFile } from '../x12/validate-file.ts';
import { validateSet } from '../x12/validate/index.ts';
import { writeDocument, X12DataError } from '../x12/writer.ts';
import { UsageError } from './usage-error.ts';

const structure = (set: Parameters<typeof validateSet>[0]) => validateSet(set, { buildTree: true }).tree as SetTree;

/** What to-json's first pass learns: validate's verdict, and whether the form can hold the file. */
export interface JsonConversion {
  /** The validation, its set results left out (memory does not grow with the number of sets). */
  result: FileResult;
  /** Diagnostics of the sets, counted by level. */
  setErrors: number;
  setWarnings: number;
}

/** Refuse, before writing anything, a file whose bytes the JSON form cannot hold. */
function representable(file: string, result: FileResult, unenveloped: boolean): void {
  const refused = allDiagnostics(result).find((d) => UNREPRESENTABLE.has(d.code));
  if (refused) {
    throw new X12DataError(`${file}:${refused.location.line ?? 1}: ${refused.message} (${refused.code}); the JSON form holds enveloped X12 only, nothing was written`, {});
  }
  if (unenveloped) throw new X12DataError(`${file}: transaction sets without an envelope cannot be represented in the JSON form; nothing was written`, {});
}

/** Pieces to a stream, waiting when it asks to. */
function streamWriter(out: Writable): (text: string) => Promise<void> | void {
  return (text) => {
    if (!out.write(text)) return once(out, 'drain').then(() => undefined);
  };
}

/**
 * Validate `file`, then write its JSON form to `outFile` (through a temporary file renamed at
 * the end, so a failure never leaves half a document) or to stdout. Returns the validation.
 */
export async function convertToJson(file: string, outFile?: string): Promise<JsonConversion> {
  const conversion: JsonConversion = { result: { file, diagnostics: [], omitted: { error: 0, warning: 0, info: 0 }, interchanges: [], unenveloped: [] }, setErrors: 0, setWarnings: 0 };
  let unenveloped = false;
  conversion.result = await validateFile(file, {
    file,
    keepSets: false,
    onSet: (set, r) => {
      unenveloped ||= set.group === null;
      for (const d of r.diagnostics) {
        if (d.level === 'error') conversion.setErrors++;
        else if (d.level === 'warning') conversion.setWarnings++;
      }
      conversion.setErrors += r.omitted.error;
      conversion.setWarnings += r.omitted.warning;
    },
  });
  representable(file, conversion.result, unenveloped);
  if (!outFile) {
    await writeJsonForm(readX12(file, { file }), structure, streamWriter(process.stdout));
    return conversion;
  }
  const temp = join(dirname(outFile), `.${basename(outFile)}.${process.pid}.part`);
  const out = createWriteStream(temp, { flags: 'wx' });
  try {
    await once(out, 'open');
    await writeJsonForm(readX12(file, { file }), structure, streamWriter(out));
    out.end();
    await once(out, 'finish');
    renameSync(temp, outFile);
  } catch (e) {
    out.destroy();
    rmSync(temp, { force: true });
    throw e;
  }
  return conversion;
}

/** The JSON form of a small file as one string (the demo's round trip). */
export async function fileToJson(file: string): Promise<string> {
  const parts: string[] = [];
  await writeJsonForm(readX12(file, { file }), structure, (text) => {
    parts.push(text);
  });
  return parts.join('');
}

/** X12 bytes back from the JSON form, segment for segment. */
export function jsonToX12(json: string, file: string): Buffer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw new UsageError(`${file} is not JSON: ${(e as Error).message}`);
  }
  return writeDocument(parseDocument(parsed));
}
