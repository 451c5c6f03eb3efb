/**
 * Shapes shared by the canonical documents. Every document names the seller (our short id for
 * the Amazon account) and the marketplace it belongs to: one 3PL serves many sellers.
 */
import { z } from 'zod';
import { isValidSscc } from '../x12/validate/sscc.ts';

/** Our short id for a seller (the mapping files' seller id). */
export const SellerId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'a short lower-case seller id');

/** Amazon marketplace id, e.g. ATVPDKIKX0DER (US). */
export const MarketplaceId = z.string().regex(/^[A-Z0-9]{10,14}$/, 'an Amazon marketplace id such as ATVPDKIKX0DER');

/** Amazon order id: 3-7-7 digits. */
export const AmazonOrderId = z.string().regex(/^\d{3}-\d{7}-\d{7}$/, 'an Amazon order id like 112-3456789-1234567');

/** Amazon Shipment ID printed on FBA labels (the shipment confirmation id), e.g. FBA15ABCD1234. */
export const FbaShipmentId = z.string().regex(/^FBA[0-9A-Z]{6,12}$/, 'an Amazon Shipment ID like FBA15ABCD1234');

/** ISO 8601 date-time with an explicit offset or Z: warehouse times carry their zone. */
export const Timestamp = z.iso.datetime({ offset: true });

/** A calendar date (YYYY-MM-DD). */
export const LocalDate = z.iso.date();

export const CountryCode = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code');

export const Sscc = z.string().refine(isValidSscc, 'an SSCC-18 (18 digits with a valid GS1 check digit, or 20 with 00 in front)');

/** Unit of measure as the warehouse counts (EA each, CA case, ...); X12 element 355 codes. */
export const Unit = z.string().regex(/^[A-Z0-9]{2}$/, 'a two-character unit of measure such as EA');

export const Quantity = z.number().int().nonnegative();

export const Address = z
  .object({
    name: z.string().min(1),
    company: z.string().optional(),
    lines: z.array(z.string().min(1)).min(1).max(3),
    city: z.string().min(1),
    stateOrRegion: z.string().optional(),
    postalCode: z.string().optional(),
    countryCode: CountryCode,
    phone: z.string().optional(),
    email: z.string().optional(),
  })
  .strict();
export type Address = z.infer<typeof Address>;

export const Weight = z.object({ value: z.number().positive(), unit: z.enum(['LB', 'KG', 'OZ', 'G']) }).strict();
export type Weight = z.infer<typeof Weight>;

/** Identifiers of one product, as far as they are known on this side. */
export const ItemIds = {
  sellerSku: z.string().min(1),
  warehouseItem: z.string().min(1).optional(),
  asin: z.string().regex(/^[A-Z0-9]{10}$/, 'a 10-character ASIN').optional(),
  fnsku: z.string().regex(/^[A-Z0-9]{10}$/, 'a 10-character FNSKU').optional(),
  gtin: z.string().regex(/^\d{8}$|^\d{12,14}$/, 'a GTIN / UPC / EAN of 8, 12, 13 or 14 digits').optional(),
};

/** The first problem of a failed parse, as "path: message". */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.length ? issue.path.join('.') : '(document)'}: ${issue.message}`;
}
