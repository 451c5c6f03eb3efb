/**
 * The mapping-file formats (YAML, `schemaVersion: 1`), one `kind` per file: seller, sku-table,
 * carrier-table, partner, layout. Checked with zod; cross-references are checked by the loader.
 */
import { z } from 'zod';
import amazonCarriers from './amazon-carrier-codes.json' with { type: 'json' };

const Id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'a short lower-case id (letters, digits, - and _)');
const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name such as ACME_LWA_REFRESH_TOKEN');
const Marketplace = z.string().regex(/^[A-Z0-9]{10,14}$/, 'an Amazon marketplace id such as ATVPDKIKX0DER');
export const AMAZON_CARRIER_CODES = new Set<string>(amazonCarriers.codes);

const base = { schemaVersion: z.literal(1), id: Id };

export const SellerFile = z
  .object({
    ...base,
    kind: z.literal('seller'),
    name: z.string().min(1),
    sellingPartnerId: z.string().regex(/^[A-Z0-9]{10,16}$/, 'an Amazon selling partner (merchant) id such as A1B2C3D4E5F6G7'),
    region: z.enum(['na', 'eu', 'fe']),
    marketplaces: z.array(Marketplace).min(1),
    /** Where the LWA credentials come from: environment variable names or a secrets file path, never the secrets. */
    credentials: z.union([
      z.object({ clientIdEnv: EnvName, clientSecretEnv: EnvName, refreshTokenEnv: EnvName }).strict(),
      z.object({ secretsFile: z.string().min(1) }).strict(),
    ]),
    skus: Id,
  })
  .strict();

const KitPart = z.object({ warehouseItem: z.string().min(1), quantity: z.number().int().positive() }).strict();

export const SkuTableFile = z
  .object({
    ...base,
    kind: z.literal('sku-table'),
    seller: Id,
    defaultSafetyBuffer: z.number().int().nonnegative().default(0),
    items: z
      .array(
        z
          .object({
            sellerSku: z.string().min(1),
            warehouseItem: z.string().min(1).optional(),
            asin: z.string().regex(/^[A-Z0-9]{10}$/, 'a 10-character ASIN').optional(),
            fnsku: z.string().regex(/^[A-Z0-9]{10}$/, 'a 10-character FNSKU').optional(),
            gtin: z.string().regex(/^\d{8}$|^\d{12,14}$/, 'a GTIN of 8, 12, 13 or 14 digits').optional(),
            unit: z.string().regex(/^[A-Z0-9]{2}$/, 'a two-character unit such as EA').default('EA'),
            /** Warehouse units per seller unit (a 6-pack sold as one). */
            packSize: z.number().int().positive().default(1),
            safetyBuffer: z.number().int().nonnegative().optional(),
            /** One seller SKU made of several warehouse items; sellable quantity is the minimum over its parts. */
            kit: z.array(KitPart).min(2).optional(),
          })
          .strict()
          .refine((i) => (i.warehouseItem === undefined) !== (i.kit === undefined), 'an item has either warehouseItem or kit, not both and not neither'),
      )
      .min(1),
  })
  .strict();

export const CarrierTableFile = z
  .object({
    ...base,
    kind: z.literal('carrier-table'),
    /** What happens to a warehouse carrier code not in the table: hold the confirmation (default) or send it as Other + the name. */
    unknownCarrier: z.enum(['hold', 'other']).default('hold'),
    entries: z
      .array(
        z
          .object({
            scac: z.string().regex(/^[A-Z0-9]{2,4}$/, 'a 2-4 character SCAC'),
            service: z.string().optional(),
            carrierCode: z.string().min(1),
            carrierName: z.string().optional(),
            shippingMethod: z.string().optional(),
          })
          .strict()
          .refine((e) => e.carrierCode !== 'Other' || !!e.carrierName, { message: "carrierCode Other needs a carrierName (Amazon requires it)", path: ['carrierName'] }),
      )
      .min(1),
  })
  .strict();

const Party = z.object({ qualifier: z.string().regex(/^[A-Z0-9]{2}$/, 'a 2-character ISA qualifier such as ZZ'), id: z.string().min(1).max(15), gsId: z.string().min(2).max(15) }).strict();
const DOCUMENTS = ['ship-order', 'shipment-advice', 'inventory', 'inbound-asn', 'receipt', 'acknowledgement'] as const;

export const PartnerFile = z
  .object({
    ...base,
    kind: z.literal('partner'),
    name: z.string().min(1),
    /** ISA15: a test partner never causes a call to Amazon's production endpoints. */
    usage: z.enum(['test', 'production']),
    /** IANA time zone of the warehouse: X12 and CSV dates and times carry none. */
    timeZone: z.string().refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'an IANA time zone such as America/Los_Angeles'),
    x12: z
      .object({
        us: Party,
        them: Party,
        version: z.string().regex(/^\d{5}$/, 'an ISA12 version such as 00401').default('00401'),
        gsVersion: z.string().min(6).max(12).default('004010'),
      })
      .strict()
      .optional(),
    sellers: z.array(Id).min(1),
    documents: z.partialRecord(z.enum(DOCUMENTS), z.object({ direction: z.enum(['in', 'out']), format: z.enum(['x12', 'csv', 'xml']), layout: Id.optional() }).strict()),
    acks: z.object({ required: z.boolean(), withinMinutes: z.number().int().positive() }).strict().optional(),
    carriers: Id,
    stockStates: z.object({ sellable: z.array(z.string().min(1)).min(1), notSellable: z.array(z.string().min(1)).default([]) }).strict(),
    textPolicy: z.object({ nonAscii: z.enum(['transliterate', 'replace']).default('transliterate'), replacement: z.string().max(1).default(' ') }).strict().default({ nonAscii: 'transliterate', replacement: ' ' }),
  })
  .strict();

export const X12LayoutFile = z
  .object({
    ...base,
    kind: z.literal('layout'),
    format: z.literal('x12'),
    document: z.enum(DOCUMENTS),
    set: z.string().regex(/^\d{3}$/, 'a transaction set id such as 945'),
    version: z.string().regex(/^\d{6}/, 'a GS08 version such as 004010'),
    /** Canonical field -> X12 path (docs/x12-paths.md). */
    fields: z.record(z.string().min(1), z.string().min(1)),
    /** What the layout deliberately does not carry. */
    drops: z.array(z.string().min(1)).default([]),
  })
  .strict();

export const MappingFile = z.discriminatedUnion('kind', [SellerFile, SkuTableFile, CarrierTableFile, PartnerFile, X12LayoutFile]);
export type MappingFile = z.infer<typeof MappingFile>;
export type SellerFile = z.infer<typeof SellerFile>;
export type SkuTableFile = z.infer<typeof SkuTableFile>;
export type CarrierTableFile = z.infer<typeof CarrierTableFile>;
export type PartnerFile = z.infer<typeof PartnerFile>;
export type X12LayoutFile = z.infer<typeof X12LayoutFile>;
