import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { diagnosticsDoc } from '../../scripts/diagnostics-doc.ts';

test('docs/diagnostics.md lists exactly the codes of the catalogue (regenerate it when this fails)', () => {
  assert.equal(readFileSync(new URL('../../docs/diagnostics.md', import.meta.url), 'utf8'), diagnosticsDoc());
});
