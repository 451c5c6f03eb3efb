/** Every recorded SP-API call (request and answer) checked against Amazon's models, for the issue 12 tests. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatIssue, OpenApiModels } from './openapi.ts';
import type { AmazonEmulator, RecordedCall } from '../../src/sandbox/amazon/emulator.ts';

export const modelsDir = resolve(import.meta.dirname, '../../../shared/spapi-models');
export const modelsPresent = existsSync(modelsDir);
let loaded: OpenApiModels | undefined;
const models = () => (loaded ??= OpenApiModels.load(modelsDir));

export function callProblems(call: RecordedCall): string[] {
  const op = models().find(call.method, call.path);
  if (!op) return [`${call.method} ${call.path}: no operation in the models`];
  const issues = [...models().validateRequest(op, { path: call.path, query: call.query, body: call.body }), ...models().validateResponse(op, { status: call.status, body: call.response })];
  return issues.map((i) => `${op.operationId} ${call.status}: ${formatIssue(i)}`);
}

/** The problems of every SP-API call the emulator received (LWA and /emulator/ routes left out); [] without the models. */
export function modelProblems(emu: AmazonEmulator): string[] {
  if (!modelsPresent) return [];
  return emu.calls.filter((c) => c.operation !== 'lwaToken' && !c.path.startsWith('/emulator/') && c.status > 0).flatMap(callProblems);
}
