/**
 * ShipmentAdvice: what the warehouse shipped. Amazon confirms shipments per package with the
 * order items in it, so each package says which lines and quantities it holds.
 */
import { z } from 'zod';
import { ItemIds, MarketplaceId, Quantity, SellerId, Sscc, Timestamp, Weight } from './common.ts';

export const PackageLine = z
  .object({
    lineNumber: z.number().int().positive().optional(),
    ...ItemIds,
    orderItemId: z.string().min(1).optional(),
    quantity: Quantity.positive(),
  })
  .strict();

export const ShippedPackage = z
  .object({
    /** The package's reference within the shipment (Amazon's packageReferenceId is a numeric string). */
    packageId: z.string().regex(/^\d{1,9}$/, 'a package number such as 1'),
    carrierScac: z.string().regex(/^[A-Z]{2,4}$/, 'a 2-4 letter SCAC').optional(),
    carrierService: z.string().optional(),
    trackingNumber: z.string().min(1),
    weight: Weight.optional(),
    lpn: z.string().min(1).optional(),
    sscc: Sscc.optional(),
    /** What Amazon is told: filled from the partner's carrier table when the advice is translated. */
    amazonCarrier: z
      .object({ carrierCode: z.string().min(1), carrierName: z.string().optional(), shippingMethod: z.string().optional() })
      .strict()
      .optional(),
    lines: z.array(PackageLine).min(1),
  })
  .strict();

export const AdvisedLine = z
  .object({
    lineNumber: z.number().int().positive().optional(),
    ...ItemIds,
    orderItemId: z.string().min(1).optional(),
    ordered: Quantity,
    shipped: Quantity,
    /** Why fewer were shipped than ordered (warehouse code or text). */
    shortReason: z.string().optional(),
  })
  .strict();

export const ShipmentAdvice = z
  .object({
    kind: z.literal('ShipmentAdvice'),
    orderId: z.string().min(1),
    seller: SellerId,
    marketplaceId: MarketplaceId,
    warehouseOrderId: z.string().optional(),
    shipmentId: z.string().optional(),
    /** With its zone: X12 and CSV times carry none, the partner's time zone supplies it. */
    shippedAt: Timestamp,
    packages: z.array(ShippedPackage).min(1),
    lines: z.array(AdvisedLine).min(1),
  })
  .strict()
  .superRefine((a, ctx) => {
    // What the packages hold must add up to what the lines say was shipped.
    const inPackages = new Map<string, number>();
    for (const p of a.packages) for (const l of p.lines) inPackages.set(l.sellerSku, (inPackages.get(l.sellerSku) ?? 0) + l.quantity);
    const shipped = new Map<string, number>();
    for (const l of a.lines) shipped.set(l.sellerSku, (shipped.get(l.sellerSku) ?? 0) + l.shipped);
    for (const [sku, qty] of inPackages) {
      if ((shipped.get(sku) ?? 0) !== qty) {
        ctx.addIssue({ code: 'custom', path: ['packages'], message: `packages hold ${qty} of ${sku}, the lines say ${shipped.get(sku) ?? 0} shipped` });
      }
    }
    for (const [sku, qty] of shipped) {
      if (qty > 0 && !inPackages.has(sku)) ctx.addIssue({ code: 'custom', path: ['lines'], message: `${qty} of ${sku} shipped but in no package` });
    }
    // A line shipped short without a reason is accepted: partial shipments are normal (the rest
    // follows in another advice) and the gateway tracks the open quantity per order line.
  });

export type ShipmentAdvice = z.infer<typeof ShipmentAdvice>;
export type ShippedPackage = z.infer<typeof ShippedPackage>;
