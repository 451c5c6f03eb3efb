/**
 * to-json / from-json: the X12 JSON form both ways (reproduce mode).
 */
import { readX12 } from '../x12/reader.ts';
import { validateSet } from '../x12/validate/index.ts';
import { parseDocument, toDocument } from '../x12/json-form.ts';
import { writeDocument } from '../x12/writer.ts';
import type { SetTree } from '../x12/tree.ts';
import { UsageError } from './usage-error.ts';

/** The JSON form of an X12 file, sets structured by their schemas (flat when none). */
export async function fileToJson(file: string): Promise<string> {
  const doc = await toDocument(readX12(file, { file }), (set) => validateSet(set, { buildTree: true }).tree as SetTree);
  return JSON.stringify(doc, null, 2);
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
