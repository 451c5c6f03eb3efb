/**
 * InventorySnapshot: warehouse counts per item and stock state. Which states are sellable, and
 * which seller SKU an item feeds, is the mapping's business; FBA listings are never fed from it.
 */
import { z } from 'zod';
import { SellerId, Timestamp } from './common.ts';

export const InventoryLine = z
  .object({
    warehouseItem: z.string().min(1),
    sellerSku: z.string().min(1).optional(),
    /** The warehouse's stock state (available, quarantine, damaged, on-hold, ...). */
    state: z.string().min(1),
    /** A change may be negative; a full count may not. */
    quantity: z.number().int(),
  })
  .strict();

export const InventorySnapshot = z
  .object({
    kind: z.literal('InventorySnapshot'),
    warehouse: z.string().min(1),
    seller: SellerId.optional(),
    asOf: Timestamp,
    /** full: these are all the counts (absent items have none); change: deltas since the last report. */
    scope: z.enum(['full', 'change']),
    items: z.array(InventoryLine),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.scope !== 'full') return;
    s.items.forEach((l, i) => {
      if (l.quantity < 0) ctx.addIssue({ code: 'custom', path: ['items', i, 'quantity'], message: `a full count cannot be negative (${l.warehouseItem} ${l.state}: ${l.quantity})` });
    });
  });

export type InventorySnapshot = z.infer<typeof InventorySnapshot>;
