/**
 * The carrier a simulated shipment goes with, and tracking numbers shaped like that carrier's:
 * only SCAC / service pairs the partner's carrier tables map to an Amazon carrier are used, so
 * an advice from the simulator never holds on an unknown carrier unless a test means it to.
 */
import type { Mappings } from '../../mapping/load.ts';
import { carrierEntries, mapCarrier } from '../../mapping/resolve.ts';
import type { PartnerFile } from '../../mapping/schema.ts';
import type { Random } from './state.ts';

export interface ChosenCarrier {
  scac: string;
  service?: string;
  carrierCode: string;
}

/** A carrier the simulator cannot choose: the partner's tables map nothing. */
export class WarehouseSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WarehouseSetupError';
  }
}

/** The carrier the order asked for when the tables map it, else one of the table's entries drawn at random. */
export function chooseCarrier(mappings: Mappings, partner: PartnerFile, asked: { scac?: string; service?: string } | undefined, rng: Random): ChosenCarrier {
  const entries = carrierEntries(mappings, partner).filter((e) => !mapCarrier(mappings, partner, e.scac, e.service, 'carrier').exception);
  if (entries.length === 0) throw new WarehouseSetupError(`partner ${partner.id}'s carrier tables (${partner.carriers.join(', ')}) map no carrier the simulator could ship with`);
  if (asked?.scac) {
    const exact = entries.find((e) => e.scac === asked.scac && e.service !== undefined && e.service === asked.service);
    const byScac = exact ?? entries.find((e) => e.scac === asked.scac && e.service === undefined) ?? entries.find((e) => e.scac === asked.scac);
    if (byScac) return { scac: byScac.scac, ...(byScac.service && { service: byScac.service }), carrierCode: byScac.carrierCode };
  }
  const e = entries[rng.below(entries.length)];
  return { scac: e.scac, ...(e.service && { service: e.service }), carrierCode: e.carrierCode };
}

const digitsOf = (n: number, width: number) => String(n).padStart(width, '0').slice(-width);

/**
 * A number unique per package: the package sequence scattered over `width` digits by a
 * multiplier prime to 10 (a bijection modulo 10^width), offset by the run's base.
 */
function serial(seq: number, base: number, width: number): string {
  const m = 10 ** width;
  return digitsOf(Number((BigInt(seq) * 7_919_111n + BigInt(base)) % BigInt(m)), width);
}

/** UPS 1Z check digit: letters count as (code - 63) mod 10, odd positions once, even positions twice. */
function upsCheck(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    const v = /\d/.test(c) ? Number(c) : (c.charCodeAt(0) - 63) % 10;
    sum += i % 2 === 1 ? 2 * v : v;
  }
  return String((10 - (sum % 10)) % 10);
}

/** GS1 / USPS mod 10: weights 3 and 1 from the right. */
function mod10(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum += Number(body[body.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  return String((10 - (sum % 10)) % 10);
}

/** FedEx 12-digit: weights 1, 7, 3 repeating from the right, sum mod 11 mod 10. */
function fedexCheck(body: string): string {
  const w = [1, 7, 3];
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum += Number(body[body.length - 1 - i]) * w[i % 3];
  return String((sum % 11) % 10);
}

/** A tracking number in the carrier's shape: UPS 1Z..., FedEx 12 digits, USPS 22 digits from 9400, OnTrac D + 14 digits. */
export function trackingNumber(carrier: ChosenCarrier, seq: number, base: number): string {
  switch (carrier.carrierCode) {
    case 'UPS': {
      // 1Z, a 6-character shipper number, a 2-digit service, a 7-digit package number, a check digit.
      const body = `SIM7DG${carrier.service === '2DA' ? '02' : '03'}${serial(seq, base, 7)}`;
      return `1Z${body}${upsCheck(body)}`;
    }
    case 'FedEx': {
      const body = `7${serial(seq, base, 10)}`;
      return `${body}${fedexCheck(body)}`;
    }
    case 'USPS': {
      const body = `94001${serial(seq, base, 16)}`;
      return `${body}${mod10(body)}`;
    }
    case 'OnTrac':
      return `D1${serial(seq, base, 13)}`;
    default:
      return `${carrier.scac}${serial(seq, base, 12)}`;
  }
}
