/**
 * samples/demo/scenario.yaml: the demo's story as data — when it starts, Amazon's seed, the
 * mappings put over a copy of mappings/, what each simulated warehouse does, which orders the
 * buyer cancels. The steps themselves (when the gateway and the warehouses run) are the
 * story's code (story.ts): they follow from these numbers.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export const DEMO_DIR = fileURLToPath(new URL('../../../samples/demo/', import.meta.url));
export const SCENARIO_FILE = resolve(DEMO_DIR, 'scenario.yaml');

const Minutes = z.number().int().min(0).max(10_000);

const Warehouse = z
  .object({
    ackDelayMinutes: Minutes.default(0),
    rejectOrders: z.array(z.string().min(1)).default([]),
    shipAfterMinutes: Minutes.default(60),
    inventoryEveryMinutes: Minutes.default(60),
    stock: z.number().int().min(0).default(10_000),
  })
  .strict();

export const Scenario = z
  .object({
    startMinutesAgo: Minutes,
    seed: z.string().min(1),
    mappings: z.string().min(1),
    warehouses: z.record(z.string(), Warehouse),
    /** Without --once, once the story is told: the warehouses' pace while one watches the dashboard. */
    live: z
      .object({ ackDelayMinutes: Minutes.default(0), shipAfterSeconds: z.number().int().min(0).max(86_400).default(30), inventoryEverySeconds: z.number().int().min(0).max(86_400).default(120), pollSeconds: z.number().int().min(1).max(3600).default(5) })
      .strict()
      .default({ ackDelayMinutes: 0, shipAfterSeconds: 30, inventoryEverySeconds: 120, pollSeconds: 5 }),
    cancelAfterTaken: z.array(z.object({ seller: z.string(), orderId: z.string(), reason: z.string().optional() }).strict()).default([]),
  })
  .strict();
export type ScenarioT = z.infer<typeof Scenario> & { file: string; seedFile: string; mappingsOverlay: string };

export function loadScenario(file = SCENARIO_FILE): ScenarioT {
  const r = Scenario.safeParse(parseYaml(readFileSync(file, 'utf8')));
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`${file}: ${i.path.join('.') || '(scenario)'}: ${i.message}`);
  }
  const base = dirname(file);
  return { ...r.data, file, seedFile: resolve(base, r.data.seed), mappingsOverlay: resolve(base, r.data.mappings) };
}
