/**
 * InboundAsn: an FBA replenishment shipment as it leaves the warehouse — the cartons with
 * their box id / SSCC / LPN and contents, and the paperwork references Amazon asks for.
 */
import { z } from 'zod';
import { FbaShipmentId, ItemIds, MarketplaceId, Quantity, SellerId, Sscc, Timestamp, Weight } from './common.ts';

export const Carton = z
  .object({
    /** FBA box id: the Amazon Shipment ID plus the box index, e.g. FBA15ABCD1234U000001. */
    boxId: z.string().regex(/^FBA[0-9A-Z]{6,12}U\d{6}$/, 'an FBA box id like FBA15ABCD1234U000001').optional(),
    sscc: Sscc.optional(),
    lpn: z.string().min(1).optional(),
    weight: Weight.optional(),
    contents: z.array(z.object({ ...ItemIds, quantity: Quantity.positive() }).strict()).min(1),
  })
  .strict()
  .refine((c) => c.boxId || c.sscc || c.lpn, 'a carton needs a box id, an SSCC or an LPN');

export const InboundAsn = z
  .object({
    kind: z.literal('InboundAsn'),
    seller: SellerId,
    marketplaceId: MarketplaceId,
    shipmentId: FbaShipmentId,
    referenceId: z.string().optional(),
    bol: z.string().optional(),
    proNumber: z.string().optional(),
    carrier: z.object({ scac: z.string().regex(/^[A-Z]{2,4}$/).optional(), name: z.string().optional() }).strict().optional(),
    shippedAt: Timestamp,
    cartons: z.array(Carton).min(1),
  })
  .strict()
  .superRefine((a, ctx) => {
    a.cartons.forEach((c, i) => {
      if (c.boxId && !c.boxId.startsWith(a.shipmentId)) {
        ctx.addIssue({ code: 'custom', path: ['cartons', i, 'boxId'], message: `box ${c.boxId} does not belong to shipment ${a.shipmentId}` });
      }
    });
  });

export type InboundAsn = z.infer<typeof InboundAsn>;
