/**
 * Amazon's shapes <-> canonical documents: an SP-API order becomes a ShipOrder; a
 * ShipmentAdvice becomes one confirmShipment per package. Pure functions; what cannot be
 * translated is said, never guessed.
 */
import type { SellerFile } from '../mapping/schema.ts';
import type { ShipmentAdvice, ShipOrder } from '../model/index.ts';
import type { AmazonOrder, ConfirmShipmentPackage } from './types.ts';

export class AmazonTranslationError extends Error {
  constructor(
    message: string,
    readonly orderId: string,
  ) {
    super(message);
    this.name = 'AmazonTranslationError';
  }
}

/** A merchant-fulfilled Amazon order (with its recipient) as the ship order a warehouse gets. */
export function shipOrderFromAmazon(order: AmazonOrder, seller: SellerFile): ShipOrder {
  const fail = (why: string) => new AmazonTranslationError(`order ${order.orderId}: ${why}`, order.orderId);
  if (order.fulfillment?.fulfilledBy && order.fulfillment.fulfilledBy !== 'MERCHANT') throw fail('is fulfilled by Amazon: nothing for the warehouse');
  const a = order.recipient?.deliveryAddress;
  if (!a?.name || !a.addressLine1 || !a.city || !a.countryCode) throw fail('has no complete ship-to address (recipient data needs RECIPIENT and, for buyer data, a restricted data token)');
  const marketplaceId = order.salesChannel.marketplaceId ?? seller.marketplaces[0];
  const lines = order.orderItems
    .map((item, i) => {
      const open = item.fulfillment?.quantityUnfulfilled ?? item.quantityOrdered - (item.fulfillment?.quantityFulfilled ?? 0);
      if (!item.product.sellerSku) throw fail(`item ${item.orderItemId} has no seller SKU`);
      return { lineNumber: i + 1, sellerSku: item.product.sellerSku, ...(item.product.asin && { asin: item.product.asin }), quantity: open, unit: 'EA', orderItemId: item.orderItemId };
    })
    .filter((l) => l.quantity > 0)
    .map((l, i) => ({ ...l, lineNumber: i + 1 }));
  if (lines.length === 0) throw fail('has nothing left to ship');
  return {
    kind: 'ShipOrder',
    orderId: order.orderId,
    type: 'mfn',
    seller: seller.id,
    marketplaceId,
    purpose: 'new',
    shipTo: {
      name: a.name,
      ...(a.companyName && { company: a.companyName }),
      lines: [a.addressLine1, a.addressLine2, a.addressLine3].filter((l): l is string => !!l),
      city: a.city,
      ...(a.stateOrRegion && { stateOrRegion: a.stateOrRegion }),
      ...(a.postalCode && { postalCode: a.postalCode }),
      countryCode: a.countryCode,
      ...(a.phone && { phone: a.phone }),
    },
    ...(order.fulfillment?.shipByWindow?.latestDateTime && { shipBy: order.fulfillment.shipByWindow.latestDateTime }),
    ...(order.fulfillment?.deliverByWindow?.latestDateTime && { deliverBy: order.fulfillment.deliverByWindow.latestDateTime }),
    notes: [],
    lines,
  };
}

export interface Confirmation {
  orderId: string;
  marketplaceId: string;
  package: ConfirmShipmentPackage;
}

/**
 * One confirmShipment per package of an advice. Every line needs its Amazon order item id and
 * every package an Amazon carrier (the mapping's carrier table): otherwise nothing is sent.
 */
export function confirmationsFromAdvice(advice: ShipmentAdvice): Confirmation[] {
  return advice.packages.map((p) => {
    const fail = (why: string) => new AmazonTranslationError(`order ${advice.orderId}, package ${p.packageId} (${p.trackingNumber}): ${why}`, advice.orderId);
    if (!p.amazonCarrier) throw fail('no Amazon carrier code (the carrier table did not map it)');
    const items = new Map<string, number>();
    for (const l of p.lines) {
      if (!l.orderItemId) throw fail(`${l.sellerSku} has no Amazon order item id: Amazon confirms per order item`);
      items.set(l.orderItemId, (items.get(l.orderItemId) ?? 0) + l.quantity);
    }
    return {
      orderId: advice.orderId,
      marketplaceId: advice.marketplaceId,
      package: {
        packageReferenceId: p.packageId,
        carrierCode: p.amazonCarrier.carrierCode,
        ...(p.amazonCarrier.carrierName && { carrierName: p.amazonCarrier.carrierName }),
        ...(p.amazonCarrier.shippingMethod && { shippingMethod: p.amazonCarrier.shippingMethod }),
        trackingNumber: p.trackingNumber,
        shipDate: new Date(advice.shippedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        orderItems: [...items].map(([orderItemId, quantity]) => ({ orderItemId, quantity })),
      },
    };
  });
}
