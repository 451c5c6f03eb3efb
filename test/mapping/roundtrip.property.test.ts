/**
 * Property: for every layout, a generated canonical document written in the partner's format
 * and read back is the same document — every field the layout does not declare dropped. The
 * documents are generated within what the partner's format can carry (lengths of the X12
 * elements, times in the partner's zone to the minute) and from the example SKU and carrier
 * tables, since an unknown SKU or carrier is held by design (tested elsewhere).
 */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { loadMappings } from '../../src/mapping/index.ts';
import { normalSpecs } from '../../src/mapping/engine.ts';
import { carrierEntries, mapCarrier, prepareShipOrder, skuIndex } from '../../src/mapping/resolve.ts';
import { readPartner, translator, writePartner, type DocumentName, type Translator } from '../../src/mapping/translate.ts';
import { parseCanonical, type CanonicalDocument, type ShipOrder } from '../../src/model/index.ts';

const root = resolve(import.meta.dirname, '../..');
const { mappings, problems } = loadMappings(join(root, 'mappings'));
assert.deepEqual(problems, []);
const RUNS = Number(process.env.DOCKGATE_PROPERTY_RUNS ?? 60);

type Obj = Record<string, unknown>;

// ------------------------------------------------------------------ values

const word = fc.stringMatching(/^[A-Z][A-Za-z0-9]{1,8}$/); // X12 AN elements such as N401 take at least 2
const text = fc.array(word, { minLength: 1, maxLength: 3 }).map((w) => w.join(' '));
const digits = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`));
const amazonOrderId = fc.tuple(digits(3), digits(7), digits(7)).map(([a, b, c]) => `${a}-${b}-${c}`);
const qty = fc.integer({ min: 1, max: 999 });

/** An instant between 03:00 and 22:59 local (no DST gap or repeat), to the minute, in the partner's zone. */
function timestamp(zone: string) {
  return fc.record({ day: fc.integer({ min: 0, max: 729 }), hour: fc.integer({ min: 3, max: 22 }), minute: fc.integer({ min: 0, max: 59 }) }).map(({ day, hour, minute }) =>
    DateTime.fromObject({ year: 2026, month: 1, day: 1, hour, minute }, { zone }).plus({ days: day }).toISO({ suppressMilliseconds: true })!,
  );
}
const localDate = fc.integer({ min: 0, max: 729 }).map((d) => DateTime.fromObject({ year: 2026, month: 1, day: 1 }).plus({ days: d }).toISODate()!);

function sscc() {
  return digits(17).map((body) => {
    let sum = 0;
    for (let i = 0; i < 17; i++) sum += Number(body[16 - i]) * (i % 2 === 0 ? 3 : 1);
    return `${body}${(10 - (sum % 10)) % 10}`;
  });
}

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

/** Plain JSON without undefined. */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

// ------------------------------------------------------------------ what a layout carries

/** Does the layout carry a time with this date field? */
function carriesTime(t: Translator, field: string): boolean {
  const spec = t.layout.fields[field];
  if (!spec) return false;
  return normalSpecs(spec).some((s) => s.time !== undefined || (s.format !== undefined && (/[Hh]/.test(s.format) || s.format === 'iso')) || (s.date === undefined && t.layout.format !== 'x12' && !s.format));
}

/** Remove what a layout drops: `a.b`, `a[].b`, and `a[n]` (elements from n on). */
function strip(doc: Obj, drops: string[]): Obj {
  const out = plain(doc);
  const remove = (o: unknown, path: string) => {
    if (o === null || typeof o !== 'object') return;
    const at = path.indexOf('[].');
    if (at >= 0) {
      for (const el of ((o as Obj)[path.slice(0, at)] as unknown[] | undefined) ?? []) remove(el, path.slice(at + 3));
      return;
    }
    const dot = path.indexOf('.');
    if (dot >= 0) {
      remove((o as Obj)[path.slice(0, dot)], path.slice(dot + 1));
      return;
    }
    const m = /^(.*)\[(\d+)\]$/.exec(path);
    if (m) {
      const arr = (o as Obj)[m[1]] as unknown[] | undefined;
      if (arr) arr.length = Math.min(arr.length, Number(m[2]));
    } else delete (o as Obj)[path.replace(/\[\]$/, '')];
  };
  for (const d of drops) remove(out, d);
  // An object left empty by what was dropped is not there at all.
  const prune = (o: unknown): unknown => {
    if (Array.isArray(o)) return o.map(prune);
    if (o === null || typeof o !== 'object') return o;
    const kept = Object.entries(o as Obj).map(([k, v]) => [k, prune(v)] as const).filter(([, v]) => !(v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0));
    return Object.fromEntries(kept);
  };
  return prune(out) as Obj;
}

// ------------------------------------------------------------------ documents

function tableItems(seller: string) {
  // Kits and packs change shape on the way (exploded, counted in units): tested on their own.
  return skuIndex(mappings, seller).table.items.filter((i) => !i.kit && i.packSize === 1);
}

function itemIds(seller: string, sellerSku: string, withGtin: boolean): Obj {
  const i = skuIndex(mappings, seller).bySellerSku.get(sellerSku)!;
  return plain({ sellerSku: i.sellerSku, warehouseItem: i.warehouseItem, asin: i.asin, fnsku: i.fnsku, ...(withGtin && { gtin: i.gtin }) });
}

const address = (lines: number) =>
  fc.record({
    name: text,
    company: opt(text),
    lines: fc.array(text, { minLength: 1, maxLength: lines }),
    city: text,
    stateOrRegion: fc.stringMatching(/^[A-Z]{2}$/),
    postalCode: digits(5),
    countryCode: fc.constantFrom('US', 'CA'),
    phone: opt(fc.tuple(digits(3), digits(4)).map(([a, b]) => `775-${a}-${b}`)),
    email: opt(word.map((w) => `${w.toLowerCase()}@example.com`)),
  });

function shipOrders(t: Translator): fc.Arbitrary<Obj> {
  const zone = t.partner.timeZone;
  const when = (field: string) => (carriesTime(t, field) ? timestamp(zone) : localDate);
  return fc.constantFrom(...t.partner.sellers).chain((seller) => {
    const skus = tableItems(seller).map((i) => i.sellerSku);
    return fc
      .record({
        fba: fc.boolean(),
        amazonId: amazonOrderId,
        replId: word.map((w) => `REPL-${w}`),
        purpose: fc.constantFrom('new', 'change', 'cancel'),
        shipTo: address(3),
        shipFrom: opt(address(2)),
        carrier: opt(fc.record({ scac: opt(fc.constantFrom('UPSN', 'FDEG', 'USPS')), service: opt(text) })),
        shipBy: opt(when('shipBy')),
        deliverBy: opt(when('deliverBy')),
        gift: opt(fc.record({ message: opt(text), wrap: fc.boolean() })),
        notes: fc.array(text, { maxLength: 2 }),
        lines: fc.uniqueArray(fc.constantFrom(...skus), { minLength: 1, maxLength: skus.length }).chain((list) =>
          fc.tuple(...list.map((sku) => fc.record({ sku: fc.constant(sku), quantity: qty, orderItemId: digits(14) }))),
        ),
        fbaInbound: fc.record({ shipmentId: fc.stringMatching(/^FBA[0-9A-Z]{9}$/), referenceId: opt(fc.stringMatching(/^[0-9A-Z]{8}$/)), destinationFc: fc.stringMatching(/^[A-Z]{3}[0-9]$/) }),
      })
      .map((g) =>
        plain({
          kind: 'ShipOrder',
          orderId: g.fba ? g.replId : g.amazonId,
          type: g.fba ? 'fba-inbound' : 'mfn',
          seller,
          marketplaceId: mappings.sellers.get(seller)!.marketplaces[0],
          purpose: g.purpose,
          shipTo: g.shipTo,
          shipFrom: g.shipFrom,
          carrier: g.carrier && (g.carrier.scac || g.carrier.service) ? g.carrier : undefined,
          shipBy: g.shipBy,
          deliverBy: g.deliverBy,
          gift: g.gift,
          notes: g.notes,
          lines: g.lines.map((l, i) => ({ lineNumber: i + 1, ...itemIds(seller, l.sku, true), quantity: l.quantity, unit: 'EA', orderItemId: g.fba ? undefined : l.orderItemId })),
          fbaInbound: g.fba ? g.fbaInbound : undefined,
        }),
      );
  });
}

function shipmentAdvices(t: Translator): fc.Arbitrary<Obj> {
  const zone = t.partner.timeZone;
  const perShipmentCarrier = normalSpecs(t.layout.fields['packages[].carrierScac']!).some((s) => s.path?.startsWith('/'));
  const carriers = carrierEntries(mappings, t.partner).filter((e) => e.carrierCode !== 'Other');
  return fc.constantFrom(...t.partner.sellers).chain((seller) => {
    const items = tableItems(seller).map((i) => i.sellerSku);
    const pkg = fc.record({
      tracking: fc.stringMatching(/^1Z[0-9A-Z]{16}$/),
      carrier: fc.constantFrom(...carriers),
      weight: fc.integer({ min: 1, max: 999 }).map((n) => n / 10),
      lpn: opt(word.map((w) => `LPN${w}`)),
      sscc: opt(sscc()),
      lines: fc.uniqueArray(fc.record({ sku: fc.constantFrom(...items), quantity: qty }), { minLength: 1, maxLength: items.length, selector: (l) => l.sku }),
    });
    return fc
      .record({
        orderId: amazonOrderId,
        warehouseOrderId: opt(word),
        shipmentId: opt(word),
        shippedAt: timestamp(zone),
        packages: fc.uniqueArray(pkg, { minLength: 1, maxLength: 3, selector: (p) => p.tracking }),
        short: fc.dictionary(fc.constantFrom(...items), fc.record({ by: fc.integer({ min: 1, max: 5 }), reason: text })),
        orderItems: fc.tuple(...items.map(() => digits(14))),
      })
      .map((g) => {
        const carrier = g.packages[0].carrier;
        const packages = g.packages.map((p, i) => {
          const c = perShipmentCarrier ? carrier : p.carrier;
          const amazon = mapCarrier(mappings, t.partner, c.scac, c.service, 'x').carrier!;
          return {
            packageId: String(i + 1),
            carrierScac: c.scac,
            carrierService: c.service,
            trackingNumber: p.tracking,
            weight: { value: p.weight, unit: 'LB' },
            lpn: p.lpn,
            sscc: p.sscc,
            amazonCarrier: amazon,
            lines: p.lines.map((l) => ({ ...itemIds(seller, l.sku, false), orderItemId: g.orderItems[items.indexOf(l.sku)], quantity: l.quantity }) as Obj),
          };
        });
        const summary = new Map<string, Obj>();
        for (const p of packages) {
          for (const l of p.lines) {
            const s = summary.get(l.sellerSku as string) ?? { ...l, shipped: 0 };
            delete s.quantity;
            s.shipped = (s.shipped as number) + (l.quantity as number);
            summary.set(l.sellerSku as string, s);
          }
        }
        const lines = [...summary.values()].map((s) => {
          const short = g.short[s.sellerSku as string];
          return { ...s, ordered: (s.shipped as number) + (short?.by ?? 0), ...(short && { shortReason: short.reason }) };
        });
        return plain({ kind: 'ShipmentAdvice', orderId: g.orderId, seller, marketplaceId: mappings.sellers.get(seller)!.marketplaces[0], warehouseOrderId: g.warehouseOrderId, shipmentId: g.shipmentId, shippedAt: g.shippedAt, packages, lines });
      });
  });
}

function inventories(t: Translator): fc.Arbitrary<Obj> {
  const states = [...t.partner.stockStates.sellable, ...t.partner.stockStates.notSellable];
  const scopes = 'scope' in t.layout.defaults ? [t.layout.defaults.scope as string] : ['full', 'change'];
  return fc.constantFrom(...t.partner.sellers).chain((seller) => {
    const table = skuIndex(mappings, seller).table.items.filter((i) => !i.kit);
    return fc
      .record({
        warehouse: word,
        asOf: timestamp(t.partner.timeZone),
        scope: fc.constantFrom(...scopes),
        counts: fc.array(fc.record({ item: fc.constantFrom(...table), state: fc.constantFrom(...states), quantity: fc.integer({ min: 0, max: 5000 }) }), { minLength: 1, maxLength: 8 }),
      })
      .map((g) => {
        // One count per item and state, an item's states together (the order a report lists them in).
        const seen = new Set<string>();
        const counts = g.counts.filter((c) => !seen.has(`${c.item.warehouseItem}/${c.state}`) && seen.add(`${c.item.warehouseItem}/${c.state}`));
        const order = [...new Set(counts.map((c) => c.item.warehouseItem))];
        counts.sort((a, b) => order.indexOf(a.item.warehouseItem) - order.indexOf(b.item.warehouseItem));
        return plain({ kind: 'InventorySnapshot', warehouse: g.warehouse, seller, asOf: g.asOf, scope: g.scope, items: counts.map((c) => ({ warehouseItem: c.item.warehouseItem, sellerSku: c.item.sellerSku, state: c.state, quantity: c.quantity })) });
      });
  });
}

function receipts(t: Translator): fc.Arbitrary<Obj> {
  return fc.constantFrom(...t.partner.sellers).chain((seller) => {
    const items = tableItems(seller);
    return fc
      .record({
        receiptId: word,
        warehouse: word,
        receivedAt: timestamp(t.partner.timeZone),
        lines: fc.array(
          fc.record({ item: fc.constantFrom(...items), quantity: qty, condition: fc.constantFrom('sellable', 'damaged', 'customer-damaged', 'defective', 'expired', 'unknown'), lpn: opt(word), removalOrderId: opt(word), trackingNumber: opt(word) }),
          { minLength: 1, maxLength: 4 },
        ),
      })
      .map((g) =>
        plain({
          kind: 'Receipt',
          seller,
          warehouse: g.warehouse,
          receiptId: g.receiptId,
          receivedAt: g.receivedAt,
          lines: g.lines.map((l) => ({ sellerSku: l.item.sellerSku, warehouseItem: l.item.warehouseItem, fnsku: l.item.fnsku, lpn: l.lpn, removalOrderId: l.removalOrderId, trackingNumber: l.trackingNumber, condition: l.condition, quantity: l.quantity })),
        }),
      );
  });
}

function inboundAsns(t: Translator): fc.Arbitrary<Obj> {
  return fc.constantFrom(...t.partner.sellers).chain((seller) => {
    const items = tableItems(seller);
    return fc
      .record({
        shipmentId: fc.stringMatching(/^FBA[0-9A-Z]{9}$/),
        referenceId: opt(fc.stringMatching(/^[0-9A-Z]{8}$/)),
        bol: opt(word),
        proNumber: opt(word),
        carrier: opt(fc.record({ scac: opt(fc.constantFrom('UPSN', 'FDEG', 'ABFS')), name: opt(text) })),
        shippedAt: timestamp(t.partner.timeZone),
        cartons: fc.array(
          fc.record({
            sscc: opt(sscc()),
            lpn: opt(word),
            weight: opt(fc.record({ value: fc.integer({ min: 1, max: 999 }).map((n) => n / 10), unit: fc.constantFrom('LB', 'KG') })),
            contents: fc.uniqueArray(fc.record({ item: fc.constantFrom(...items), quantity: qty }), { minLength: 1, maxLength: 3, selector: (c) => c.item.sellerSku }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
      })
      .map((g) =>
        plain({
          kind: 'InboundAsn',
          seller,
          marketplaceId: mappings.sellers.get(seller)!.marketplaces[0],
          shipmentId: g.shipmentId,
          referenceId: g.referenceId,
          bol: g.bol,
          proNumber: g.proNumber,
          carrier: g.carrier && (g.carrier.scac || g.carrier.name) ? g.carrier : undefined,
          shippedAt: g.shippedAt,
          cartons: g.cartons.map((c, i) => ({
            boxId: `${g.shipmentId}U${String(i + 1).padStart(6, '0')}`,
            sscc: c.sscc,
            lpn: c.lpn,
            weight: c.weight,
            contents: c.contents.map((x) => ({ ...itemIds(seller, x.item.sellerSku, false), quantity: x.quantity })),
          })),
        }),
      );
  });
}

const GENERATORS: Record<DocumentName, (t: Translator) => fc.Arbitrary<Obj>> = {
  'ship-order': shipOrders,
  'shipment-advice': shipmentAdvices,
  inventory: inventories,
  receipt: receipts,
  'inbound-asn': inboundAsns,
};

// ------------------------------------------------------------------ the property

for (const [partnerId, partner] of mappings.partners) {
  for (const [name, d] of Object.entries(partner.documents)) {
    if (!d?.layout || name === 'acknowledgement') continue;
    const t = translator(mappings, partnerId, name as DocumentName);
    test(`round trip ${t.layout.id}: canonical -> ${t.layout.format} -> canonical keeps every field not dropped`, async () => {
      await fc.assert(
        fc.asyncProperty(GENERATORS[name as DocumentName](t), async (generated) => {
          let doc: CanonicalDocument = parseCanonical(generated);
          // What goes to a warehouse is the order as it must pick it.
          if (doc.kind === 'ShipOrder') doc = prepareShipOrder(doc as ShipOrder, { mappings, partner }).document!;
          const w = writePartner(t, [doc]);
          assert.deepEqual(w.documents[0].problems, []);
          assert.deepEqual(w.documents[0].exceptions, []);
          assert.deepEqual(w.documents[0].textChanges, []);
          const r = await readPartner(t, w.bytes!, { seller: (doc as { seller?: string }).seller });
          assert.deepEqual(r.fileProblems, []);
          assert.deepEqual(r.documents.map((x) => [x.status, x.problems, x.exceptions]), [['ok', [], []]], w.bytes!.toString('latin1'));
          assert.deepEqual(strip(plain(r.documents[0].document) as Obj, t.layout.drops), strip(plain(doc) as Obj, t.layout.drops));
        }),
        { numRuns: RUNS },
      );
    });
  }
}
