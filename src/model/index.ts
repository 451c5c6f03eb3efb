export * from './common.ts';
export * from './inbound-asn.ts';
export * from './inventory.ts';
export * from './receipt.ts';
export * from './ship-order.ts';
export * from './shipment-advice.ts';
export * from './document.ts';
