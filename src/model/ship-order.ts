/**
 * ShipOrder: what the warehouse must pick, pack and ship — an Amazon MFN order, or an FBA
 * replenishment to an Amazon fulfilment centre (with the Amazon Shipment ID that must reach
 * the warehouse's primary reference and the BOL, or the carrier is turned away).
 */
import { z } from 'zod';
import { Address, AmazonOrderId, FbaShipmentId, ItemIds, LocalDate, MarketplaceId, Quantity, SellerId, Timestamp, Unit } from './common.ts';

export const ShipOrderLine = z
  .object({
    lineNumber: z.number().int().positive(),
    ...ItemIds,
    quantity: Quantity.positive(),
    unit: Unit.default('EA'),
    /** Amazon order item id: Amazon confirms shipments per order item. */
    orderItemId: z.string().min(1).optional(),
  })
  .strict();

/** One of Amazon's boxes of an FBA inbound shipment, as the warehouse must pack it. */
export const FbaInboundBox = z
  .object({
    /** The FBA box label: the Amazon Shipment ID + U + a 6-digit index (FBA15ABCD1234U000001). */
    boxId: z.string().regex(/^FBA[0-9A-Z]{6,12}U\d{6}$/, 'an FBA box id like FBA15ABCD1234U000001'),
    /** When the box is identified by an SSCC-18 instead of (or beside) Amazon's label. */
    sscc: z.string().regex(/^\d{18}$/, 'an SSCC-18 (18 digits)').optional(),
    contents: z.array(z.object({ sellerSku: z.string().min(1), fnsku: z.string().min(1).optional(), quantity: Quantity.positive() }).strict()).min(1),
  })
  .strict();

export const ShipOrder = z
  .object({
    kind: z.literal('ShipOrder'),
    /** Amazon order id (MFN) or our FBA replenishment id. */
    orderId: z.string().min(1),
    type: z.enum(['mfn', 'fba-inbound']),
    seller: SellerId,
    marketplaceId: MarketplaceId,
    purpose: z.enum(['new', 'change', 'cancel']),
    shipTo: Address,
    shipFrom: Address.optional(),
    carrier: z.object({ name: z.string().optional(), service: z.string().optional(), scac: z.string().regex(/^[A-Z]{2,4}$/, 'a 2-4 letter SCAC').optional() }).strict().optional(),
    shipBy: z.union([LocalDate, Timestamp]).optional(),
    deliverBy: z.union([LocalDate, Timestamp]).optional(),
    gift: z.object({ message: z.string().optional(), wrap: z.boolean().default(false) }).strict().optional(),
    notes: z.array(z.string()).default([]),
    lines: z.array(ShipOrderLine).min(1),
    /** FBA inbound replenishment only. */
    fbaInbound: z
      .object({
        shipmentId: FbaShipmentId,
        /** Amazon Reference ID for the carrier appointment, asked on or with the BOL. */
        referenceId: z.string().min(1).optional(),
        destinationFc: z.string().regex(/^[A-Z0-9]{3,5}$/, 'a fulfilment-centre code such as RNO4'),
        /** The inbound plan (wf...) the shipment belongs to: which plan's warehouse override applied. */
        inboundPlanId: z.string().min(1).optional(),
        /** How many cartons Amazon expects: the labels to print are the Shipment ID + U000001 .. U00000N. */
        boxCount: z.number().int().positive().optional(),
        /** Amazon's boxes (listShipmentBoxes), each with its label id and contents: what the cartons shipped are checked against. */
        boxes: z.array(FbaInboundBox).min(1).optional(),
        /** Where the box labels are (v0 getLabels' DownloadURL): pre-signed and short-lived, so the warehouse prints them when the order arrives. */
        labelsUrl: z.url().optional(),
      })
      .strict()
      .superRefine((f, ctx) => {
        if (f.boxes && f.boxCount !== undefined && f.boxes.length !== f.boxCount) ctx.addIssue({ code: 'custom', path: ['boxCount'], message: `${f.boxCount} boxes counted, ${f.boxes.length} listed` });
        // A box label is the Shipment ID plus U and the box's index: a box of another shipment on this order is a mix-up.
        f.boxes?.forEach((b, i) => {
          if (!b.boxId.startsWith(`${f.shipmentId}U`)) ctx.addIssue({ code: 'custom', path: ['boxes', i, 'boxId'], message: `box ${b.boxId} is not a box of shipment ${f.shipmentId}` });
        });
      })
      .optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.type === 'mfn' && !AmazonOrderId.safeParse(o.orderId).success) {
      ctx.addIssue({ code: 'custom', path: ['orderId'], message: 'an MFN order needs an Amazon order id like 112-3456789-1234567' });
    }
    if (o.type === 'fba-inbound' && !o.fbaInbound) {
      ctx.addIssue({ code: 'custom', path: ['fbaInbound'], message: 'an FBA inbound order needs its Amazon Shipment ID and destination fulfilment centre' });
    }
    if (o.type === 'mfn' && o.fbaInbound) ctx.addIssue({ code: 'custom', path: ['fbaInbound'], message: 'only FBA inbound orders carry an Amazon Shipment ID' });
    const seen = new Set<number>();
    o.lines.forEach((l, i) => {
      if (seen.has(l.lineNumber)) ctx.addIssue({ code: 'custom', path: ['lines', i, 'lineNumber'], message: `line number ${l.lineNumber} is used twice` });
      seen.add(l.lineNumber);
    });
  });

export type ShipOrder = z.infer<typeof ShipOrder>;
export type ShipOrderLine = z.infer<typeof ShipOrderLine>;
export type FbaInboundBox = z.infer<typeof FbaInboundBox>;
