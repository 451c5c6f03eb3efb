/**
 * Deterministic, realistic 940 warehouse shipping orders for the benches: consumer ship-to
 * addresses, a ship-from warehouse, references, dates, carrier routing and 10-30 lines with
 * descriptions and references. Same seed, same bytes.
 */
import type { OutboundInterchange, OutboundSegment, OutboundSet } from '../src/x12/outbound.ts';

/** Small deterministic PRNG (mulberry32) so the bench data is identical run to run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STREETS = ['MAIN ST', 'OAK AVE', 'PINE RD', 'MAPLE DR', 'CEDAR LN', 'ELM ST', 'LAKE VIEW BLVD', 'HILLCREST RD'];
const CITIES: Array<[string, string, string]> = [
  ['SEATTLE', 'WA', '98101'],
  ['RENO', 'NV', '89502'],
  ['COLUMBUS', 'OH', '43215'],
  ['AUSTIN', 'TX', '78701'],
  ['ATLANTA', 'GA', '30303'],
  ['DENVER', 'CO', '80202'],
];
const NAMES = ['JANE DOE', 'JOHN SMITH', 'MARIA GARCIA', 'WEI CHEN', 'AISHA KHAN', 'OLIVIA BROWN', 'LIAM JOHNSON'];
const PRODUCTS = ['COTTON T-SHIRT RED M', 'STAINLESS WATER BOTTLE 750ML', 'YOGA MAT 6MM PURPLE', 'LED DESK LAMP', 'CERAMIC MUG 12OZ', 'PHONE CASE CLEAR'];
const CARRIERS: Array<[string, string]> = [
  ['UPSN', 'UPS GROUND'],
  ['FDEG', 'FEDEX HOME DELIVERY'],
  ['USPS', 'USPS PRIORITY MAIL'],
];

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** One 940 body (between ST and SE). */
export function make940(index: number, random: () => number): OutboundSet {
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];
  const [city, state, zip] = pick(CITIES);
  const [scac, service] = pick(CARRIERS);
  const order = `${pad(100 + (index % 900), 3)}-${pad(Math.floor(random() * 1e7), 7)}-${pad(Math.floor(random() * 1e7), 7)}`;
  const segments: OutboundSegment[] = [
    { id: 'W05', elements: ['N', order, `PO${pad(index, 8)}`] },
    { id: 'N1', elements: ['ST', pick(NAMES)] },
    { id: 'N3', elements: [`${1 + Math.floor(random() * 9999)} ${pick(STREETS)}`, `APT ${1 + Math.floor(random() * 400)}`] },
    { id: 'N4', elements: [city, state, zip, 'US'] },
    { id: 'N1', elements: ['SF', 'ACME FULFILLMENT RENO', '9', '0123456780000'] },
    { id: 'N3', elements: ['1200 LOGISTICS WAY'] },
    { id: 'N4', elements: ['RENO', 'NV', '89502', 'US'] },
    { id: 'N9', elements: ['PO', `PO${pad(index, 8)}`] },
    { id: 'N9', elements: ['ZZ', `AMZ-SELLER-${pad(index % 7, 2)}`] },
    { id: 'G62', elements: ['10', '20261125'] },
    { id: 'G62', elements: ['02', '20261128'] },
    { id: 'NTE', elements: ['WHI', 'LEAVE AT FRONT DOOR IF NO ANSWER'] },
    { id: 'W66', elements: ['PP', 'U', '', '', service, '', '', '', '', scac] },
  ];
  const lines = 16 + Math.floor(random() * 25);
  let units = 0;
  for (let l = 1; l <= lines; l++) {
    const qty = 1 + Math.floor(random() * 5);
    units += qty;
    const sku = `SKU-${pad(Math.floor(random() * 99999), 5)}`;
    segments.push(
      { id: 'LX', elements: [String(l)] },
      { id: 'W01', elements: [String(qty), 'EA', `0${pad(Math.floor(random() * 1e10), 11)}`, 'VN', sku, 'UP', `0${pad(Math.floor(random() * 1e10), 11)}`] },
      { id: 'G69', elements: [pick(PRODUCTS)] },
      { id: 'N9', elements: ['LI', pad(Math.floor(random() * 1e13), 14)] },
    );
  }
  segments.push({ id: 'W76', elements: [String(units), String((units * 0.85).toFixed(1)), 'LB'] });
  return { id: '940', segments };
}

/** An interchange of `count` 940s in one OW group. */
export function make940Interchange(count: number, seed = 42): OutboundInterchange {
  const random = rng(seed);
  const sets: OutboundSet[] = [];
  for (let i = 0; i < count; i++) sets.push(make940(i, random));
  return {
    sender: { qualifier: 'ZZ', id: 'DOCKGATE' },
    receiver: { qualifier: 'ZZ', id: 'ACMEWMS' },
    version: '00401',
    usage: 'T',
    groups: [{ functionalId: 'OW', senderId: 'DOCKGATE', receiverId: 'ACMEWMS', version: '004010', sets }],
  };
}

/**
 * Plain string joining: the baseline the send-mode writer must match. No checks, fixed
 * separators, control numbers counted locally.
 */
export function joinInterchange(ic: OutboundInterchange, isa13: number): string {
  const out: string[] = [];
  const isa = [
    'ISA', '00', ' '.repeat(10), '00', ' '.repeat(10), ic.sender.qualifier, ic.sender.id.padEnd(15), ic.receiver.qualifier,
    ic.receiver.id.padEnd(15), '261124', '1200', 'U', ic.version, pad(isa13, 9), '0', ic.usage, '>',
  ].join('*');
  out.push(isa);
  let st = 0;
  for (const g of ic.groups) {
    out.push(['GS', g.functionalId, g.senderId, g.receiverId, '20261124', '1200', String(isa13), 'X', g.version].join('*'));
    for (const set of g.sets) {
      st++;
      out.push(`ST*${set.id}*${pad(st, 4)}`);
      for (const s of set.segments) out.push(`${s.id}*${(s.elements as string[]).join('*')}`);
      out.push(`SE*${set.segments.length + 2}*${pad(st, 4)}`);
    }
    out.push(`GE*${g.sets.length}*${isa13}`);
  }
  out.push(`IEA*${ic.groups.length}*${pad(isa13, 9)}`);
  return `${out.join('~\n')}~\n`;
}
