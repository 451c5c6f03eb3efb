/**
 * Receipt: stock arriving at the warehouse — removals and returns from Amazon are matched by
 * LPN where present, else by removal order id + tracking number + FNSKU / SKU.
 */
import { z } from 'zod';
import { Quantity, SellerId, Timestamp } from './common.ts';

export const ReceiptLine = z
  .object({
    sellerSku: z.string().min(1).optional(),
    warehouseItem: z.string().min(1).optional(),
    fnsku: z.string().regex(/^[A-Z0-9]{10}$/, 'a 10-character FNSKU').optional(),
    lpn: z.string().min(1).optional(),
    removalOrderId: z.string().min(1).optional(),
    trackingNumber: z.string().min(1).optional(),
    condition: z.enum(['sellable', 'damaged', 'customer-damaged', 'defective', 'expired', 'unknown']),
    quantity: Quantity.positive(),
  })
  .strict()
  .refine((l) => l.sellerSku || l.warehouseItem || l.fnsku, 'a received line needs a seller SKU, a warehouse item or an FNSKU');

export const Receipt = z
  .object({
    kind: z.literal('Receipt'),
    seller: SellerId.optional(),
    warehouse: z.string().min(1),
    receiptId: z.string().min(1),
    receivedAt: Timestamp,
    lines: z.array(ReceiptLine).min(1),
  })
  .strict();

export type Receipt = z.infer<typeof Receipt>;
