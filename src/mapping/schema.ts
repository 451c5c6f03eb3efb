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
    /** The partner (warehouse) that gets this seller's orders; without it, the one partner listing the seller with an outbound ship-order document. */
    warehouse: Id.optional(),
    /** FBA replenishment (src/flows/fba-replenishment.ts): which warehouse ships the seller's FBA inbound shipments, and what follows them. */
    fba: z
      .object({
        /** The partner holding the stock FBA shipments are sent from; default: `warehouse`. */
        warehouse: Id.optional(),
        /** Per inbound plan (its id wf... or its name): another partner than `fba.warehouse`. */
        plans: z.record(z.string().min(1), Id).optional(),
        /** A shipment sent and not shipped this many days after is fba-not-shipped; default: the gateway's fbaShipWithinDays. */
        shipWithinDays: z.number().int().positive().optional(),
        /** Where the generated 856 ASN goes, when one is required: a partner with an inbound-asn layout (X12). */
        asn: z.object({ partner: Id }).strict().optional(),
      })
      .strict()
      .optional(),
    /** Removals and customer returns (src/flows/removals.ts): what received units become, by the receipt's condition. */
    returns: z
      .object({
        /** Receipt condition -> what it becomes; default sellable -> sellable, unknown -> quarantine, the rest -> damaged. */
        dispositions: z.partialRecord(z.enum(['sellable', 'damaged', 'customer-damaged', 'defective', 'expired', 'unknown']), z.enum(['sellable', 'damaged', 'quarantine'])).optional(),
        /** A removal shipped by Amazon and not received this many days after is removal-overdue; default: the gateway's removalOverdueDays. */
        overdueDays: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
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
            /** Replaces the same SCAC/service of an earlier table in the partner's list: overriding is never by accident. */
            override: z.boolean().default(false),
          })
          .strict()
          .refine((e) => e.carrierCode !== 'Other' || !!e.carrierName, { message: "carrierCode Other needs a carrierName (Amazon requires it)", path: ['carrierName'] }),
      )
      .min(1),
  })
  .strict();

/** A file name pattern: fixed text and {partner} {document} {control} {timestamp} {seq}. */
const FilePattern = z.string().regex(/^[A-Za-z0-9._{}-]+$/, 'a file-name pattern of letters, digits, . _ - and {partner} {document} {control} {timestamp}').refine((p) => !p.includes('..'), 'no ".." in a file name');
const RemoteDir = z.string().regex(/^\/?([A-Za-z0-9._-]+\/?)*$/, 'a directory path of letters, digits, . _ - and /').refine((d) => !d.split('/').includes('..'), 'no ".." in a directory');

/**
 * How Dockgate knows a partner's file is complete before taking it: two looks at its size and
 * time a few seconds apart (the default, for WMSs that write in place), a done-marker file
 * NAME+suffix beside it, or a temporary name (prefix or suffix) the WMS renames when done.
 */
const Completeness = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('stable') }).strict(),
  z.object({ mode: z.literal('marker'), suffix: z.string().regex(/^[A-Za-z0-9._-]{1,20}$/, 'a marker suffix such as .done') }).strict(),
  z
    .object({ mode: z.literal('temp-name'), prefix: z.string().regex(/^[A-Za-z0-9._-]{1,20}$/).optional(), suffix: z.string().regex(/^[A-Za-z0-9._-]{1,20}$/).optional() })
    .strict()
    .refine((c) => c.prefix !== undefined || c.suffix !== undefined, 'a temporary-name rule needs a prefix or a suffix'),
]);

export const Transport = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('sftp'),
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535).default(22),
      user: z.string().min(1),
      /** Private key file path, or the name of an environment variable holding the password: never the secret. */
      auth: z.union([z.object({ keyPath: z.string().min(1) }).strict(), z.object({ passwordEnv: EnvName }).strict()]),
      /**
       * The server's host key as OpenSSH prints it (ssh-keygen -lf: SHA256:base64, no padding).
       * Absent until pinned: the transport then refuses to connect, and `dockgate sftp check` shows the key.
       */
      hostKey: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'a host-key fingerprint as OpenSSH prints it, e.g. SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8').optional(),
      directories: z.object({ inbound: RemoteDir, outbound: RemoteDir, archive: RemoteDir.optional() }).strict(),
      fileNames: z.record(z.string(), FilePattern).default({}),
      pollSeconds: z.number().int().min(10).default(60),
      completeness: Completeness.default({ mode: 'stable' }),
    })
    .strict(),
  z
    .object({
      type: z.literal('directory'),
      path: z.string().min(1),
      directories: z.object({ inbound: RemoteDir, outbound: RemoteDir, archive: RemoteDir.optional() }).strict(),
      fileNames: z.record(z.string(), FilePattern).default({}),
      pollSeconds: z.number().int().min(1).default(60),
      completeness: Completeness.default({ mode: 'stable' }),
    })
    .strict(),
]);

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
        /** Separators we send with (theirs are read from each ISA). */
        separators: z
          .object({ element: z.string().length(1).default('*'), component: z.string().length(1).default('>'), segment: z.string().length(1).default('~'), repetition: z.string().length(1).default('^'), newline: z.boolean().default(true) })
          .strict()
          .default({ element: '*', component: '>', segment: '~', repetition: '^', newline: true }),
      })
      .strict()
      .optional(),
    transport: Transport,
    sellers: z.array(Id).min(1),
    documents: z.partialRecord(z.enum(DOCUMENTS), z.object({ direction: z.enum(['in', 'out']), format: z.enum(['x12', 'csv', 'xml']), layout: Id.optional() }).strict()),
    acks: z.object({ required: z.boolean(), withinMinutes: z.number().int().positive() }).strict().optional(),
    /** Ship orders to this partner: at most perFile orders per file (default: the gateway's ordersPerFile); changes: the layout can carry a change (940 W05-01 R). */
    orders: z.object({ perFile: z.number().int().positive().max(10_000).optional(), changes: z.boolean().optional() }).strict().optional(),
    /** Carrier tables, later ones overriding earlier ones entry by entry, only where an entry says override: true. */
    carriers: z.union([Id, z.array(Id).min(1)]).transform((c) => (Array.isArray(c) ? c : [c])),
    stockStates: z.object({ sellable: z.array(z.string().min(1)).min(1), notSellable: z.array(z.string().min(1)).default([]) }).strict(),
    /** What the partner's inventory counts mean: 'available-after-allocation' (default) already takes off units allocated to orders it has received; 'on-hand' counts every unit still on the shelf. freshnessMinutes overrides the gateway's inventory-stale window for this partner. */
    inventory: z.object({ semantics: z.enum(['available-after-allocation', 'on-hand']).default('available-after-allocation'), freshnessMinutes: z.number().int().positive().optional() }).strict().optional(),
    textPolicy: z.object({ nonAscii: z.enum(['transliterate', 'replace']).default('transliterate'), replacement: z.string().max(1).default(' ') }).strict().default({ nonAscii: 'transliterate', replacement: ' ' }),
  })
  .strict();

/**
 * How one canonical field travels in a partner format. A plain string is the partner path: an
 * X12 path (docs/x12-paths.md), a CSV column name, or an XML element path (`a/b`, `a/@attr`).
 */
const OneFieldSpec = z.union([
  z.string().min(1),
  z
    .object({
      path: z.string().min(1).optional(),
      /** Date and time carried apart (X12 DT and TM elements, or two CSV columns). */
      date: z.string().min(1).optional(),
      time: z.string().min(1).optional(),
      /** Date / time format in Luxon tokens (yyyy-MM-dd HH:mm) or 'iso'; X12 defaults to yyyyMMdd and HHmm. */
      format: z.string().min(1).optional(),
      dateFormat: z.string().min(1).optional(),
      timeFormat: z.string().min(1).optional(),
      /** Canonical value -> partner code (e.g. purpose new: N). Unlisted values are an error both ways. */
      codes: z.record(z.string(), z.string()).optional(),
      /** Reading: a value missing from the partner document is an error (CSV: an empty cell). */
      required: z.boolean().optional(),
      /** Partner values that travel with this one, such as its qualifier (LIN-04: UP before the UPC in LIN-05):
       * written with it, and on reading the value is taken only where they match. */
      with: z.record(z.string().min(1), z.string()).optional(),
      /** Only for documents that have (when) or lack (unless) this canonical field, e.g. fbaInbound. */
      when: z.string().min(1).optional(),
      unless: z.string().min(1).optional(),
    })
    .strict()
    .refine((f) => (f.path !== undefined) !== (f.date !== undefined), 'a field has either path, or date (with an optional time)')
    .refine((f) => f.time === undefined || f.date !== undefined, 'time needs date'),
]);
/** One place, or several: written to each whose condition holds, read from the first that has a value. */
export const FieldSpec = z.union([OneFieldSpec, z.array(OneFieldSpec).min(1)]);
export type FieldSpec = z.infer<typeof OneFieldSpec>;

/** A canonical array and the partner structure that repeats with it. */
export const LoopSpec = z.union([
  z.string().min(1),
  z
    .object({
      /** X12: the loop (or segment) path, each match one element; XML: the element path. CSV: none (rows). */
      path: z.string().min(1).optional(),
      /** Elements with equal values of this field are one element (one package over several X12 LX loops). */
      key: z.string().min(1).optional(),
      /** An overlay: this array is read from and written onto the instances of another array (the per-line
       * summary of a 945 read off the package lines), matched by `key`. */
      over: z.string().min(1).optional(),
      /** Overlay fields that are the sum of their instances (shipped = the package quantities). */
      sum: z.array(z.string().min(1)).default([]),
    })
    .strict()
    .refine((l) => !l.over || l.key, { message: 'an overlay (over) needs a key', path: ['key'] }),
]);
export type LoopSpec = z.infer<typeof LoopSpec>;

const layoutBase = {
  ...base,
  kind: z.literal('layout'),
  document: z.enum(DOCUMENTS),
  /** Canonical field -> where it travels in the partner format. */
  fields: z.record(z.string().min(1), FieldSpec),
  /** Canonical array (`packages`, `packages[].lines`) -> the partner structure that repeats. */
  loops: z.record(z.string().min(1), LoopSpec).default({}),
  /** Canonical values used when the partner format does not carry the field (scope: full). */
  defaults: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** What the layout deliberately does not carry (a prefix drops a whole object: shipFrom). */
  drops: z.array(z.string().min(1)).default([]),
};

export const X12LayoutFile = z
  .object({
    ...layoutBase,
    format: z.literal('x12'),
    set: z.string().regex(/^\d{3}$/, 'a transaction set id such as 945'),
    version: z.string().regex(/^\d{6}/, 'a GS08 version such as 004010'),
    /** Partner values written whatever the document says (W66-01: PP), into segments the fields create. */
    constants: z.record(z.string().min(1), z.string()).default({}),
    /** Counts and sums written last: CTT-01: count(LIN), W03-01: sum(LX/W12-03). */
    totals: z.record(z.string().min(1), z.string().regex(/^(count|sum)\([^()]+\)$/, 'count(PATH) or sum(PATH)')).default({}),
  })
  .strict();

const Encoding = z.enum(['utf-8', 'windows-1252', 'iso-8859-1', 'utf-16le']);

export const CsvLayoutFile = z
  .object({
    ...layoutBase,
    format: z.literal('csv'),
    csv: z
      .object({
        delimiter: z.string().length(1).default(','),
        quote: z.string().length(1).default('"'),
        header: z.boolean().default(true),
        /** Decoded before parsing; written in it. Characters it cannot carry follow the partner's text policy. */
        encoding: Encoding.default('utf-8'),
        /** Write a byte-order mark (reading always accepts one). */
        bom: z.boolean().default(false),
        recordDelimiter: z.enum(['\n', '\r\n']).default('\r\n'),
      })
      .strict()
      .default({ delimiter: ',', quote: '"', header: true, encoding: 'utf-8', bom: false, recordDelimiter: '\r\n' }),
    /** The file's columns in order; `fields` name them. Columns no field uses are written empty. */
    columns: z.array(z.string().min(1)).min(1),
    /** Rows with equal values of these canonical fields are one document (none: the whole file is one). */
    documentKey: z.array(z.string().min(1)).default([]),
  })
  .strict();

export const XmlLayoutFile = z
  .object({
    ...layoutBase,
    format: z.literal('xml'),
    xml: z
      .object({
        /** Root element of the file. */
        root: z.string().min(1),
        /** Path below the root of each document element (Order, Orders/Order). */
        document: z.string().min(1),
        /** Refuse files larger than this many bytes, or nested deeper. */
        maxBytes: z.number().int().positive().default(50 * 1024 * 1024),
        maxDepth: z.number().int().positive().default(32),
      })
      .strict(),
  })
  .strict();

export const LayoutFile = z.discriminatedUnion('format', [X12LayoutFile, CsvLayoutFile, XmlLayoutFile]);
export type LayoutFile = z.infer<typeof LayoutFile>;

export const MappingFile = z.discriminatedUnion('kind', [SellerFile, SkuTableFile, CarrierTableFile, PartnerFile, LayoutFile]);
export type MappingFile = z.infer<typeof MappingFile>;
export type SellerFile = z.infer<typeof SellerFile>;
export type SkuTableFile = z.infer<typeof SkuTableFile>;
export type CarrierTableFile = z.infer<typeof CarrierTableFile>;
export type PartnerFile = z.infer<typeof PartnerFile>;
export type X12LayoutFile = z.infer<typeof X12LayoutFile>;
export type CsvLayoutFile = z.infer<typeof CsvLayoutFile>;
export type XmlLayoutFile = z.infer<typeof XmlLayoutFile>;
