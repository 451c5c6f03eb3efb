/**
 * The X12 reader's work is linear in its input whatever the bytes and however they are
 * chunked. Each case reads one input and one 8 times larger in the same run and compares the
 * CPU times (best of three, generous slack): a reader that rescans or recopies a pending
 * segment with every chunk is quadratic and takes 64 times longer or more.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { ReaderEvent } from '../../src/x12/envelope.ts';
import { codes } from './reader-events.ts';
import { readX12 } from '../../src/x12/reader.ts';

const ISA = 'ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261124*1200*U*00401*000000101*0*T*>~\n';
const GROWTH = 8;
/** 8x the input may take at most this many times as long (linear is ~8x; quadratic 64x). */
const SLACK = 32;

/** A realistic interchange of `sets` 940s, about 400 bytes each. */
function interchange(sets: number): string {
  const out = [ISA, 'GS*OW*SENDER*RECEIVER*20261124*1200*7*X*004010~\n'];
  for (let s = 1; s <= sets; s++) {
    const c = String(s).padStart(4, '0');
    const body = [
      `ST*940*${c}`,
      `W05*N*ORDER${c}*PO${c}`,
      'N1*ST*JANE DOE',
      `N3*${s} MAIN ST*APT ${s % 400}`,
      'N4*RENO*NV*89502*US',
      'N9*ZZ*AMZ-SELLER-01',
      'G62*10*20261125',
      'NTE*WHI*LEAVE AT FRONT DOOR IF NO ANSWER',
      'W66*PP*U***UPS GROUND*****UPSN',
      'LX*1',
      `W01*${1 + (s % 5)}*EA**VN*SKU-${c}`,
      'G69*COTTON T-SHIRT RED M',
      'W76*1',
    ];
    out.push(`${[...body, `SE*${body.length + 1}*${c}`].join('~\n')}~\n`);
  }
  out.push(`GE*${sets}*7~\nIEA*1*000000101~\n`);
  return out.join('');
}

function chunks(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < buf.length; at += size) out.push(buf.subarray(at, at + size));
  return out;
}

async function read(buf: Buffer, chunkSize: number): Promise<ReaderEvent[]> {
  const events: ReaderEvent[] = [];
  for await (const e of readX12(Readable.from(chunks(buf, chunkSize)))) events.push(e);
  return events;
}

/** CPU time (µs) of the best of three reads: CPU time, because a loaded box deschedules us at random. */
async function bestOfThree(buf: Buffer, chunkSize: number): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = process.cpuUsage();
    await read(buf, chunkSize);
    const d = process.cpuUsage(t0);
    best = Math.min(best, d.user + d.system);
  }
  return best;
}

/** Assert that reading make(GROWTH * n) takes less than SLACK times reading make(n). */
async function assertLinear(make: (scale: number) => Buffer, chunkSize: number): Promise<void> {
  const small = make(1);
  const large = make(GROWTH);
  await read(small, chunkSize); // warm-up: compile the hot paths before timing
  const ts = await bestOfThree(small, chunkSize);
  const tl = await bestOfThree(large, chunkSize);
  const ratio = tl / ts;
  assert.ok(
    ratio < SLACK,
    `${(large.length / 1e6).toFixed(1)} MB took ${ratio.toFixed(1)}x as long as ${(small.length / 1e6).toFixed(1)} MB (${(tl / 1e3).toFixed(0)} ms vs ${(ts / 1e3).toFixed(0)} ms of CPU)`,
  );
}

/** Terminators removed after the ISA, line breaks kept: what a careless export produces. */
const stripped = (scale: number) => Buffer.from(ISA + interchange(scale * 4000).slice(ISA.length).replace(/~/g, ''));

test('an interchange whose terminators were stripped is read in linear time and says why it fails', async () => {
  const events = await read(stripped(1), 1 << 16);
  assert.deepEqual(codes(events), ['isa.terminator-not-found', 'isa.trailer-missing']);
  await assertLinear(stripped, 1 << 16);
});

test('one huge segment without a terminator is read in linear time, whatever fills it', async () => {
  for (const filler of ['A', '*', '>', '\n', 'ü']) {
    const huge = (scale: number) =>
      Buffer.from(`${ISA}GS*OW*SENDER*RECEIVER*20261124*1200*7*X*004010~\nST*940*0001~\nW05*N*ORDER1~\nNTE*WHI*${filler.repeat((scale * 2e6) / Buffer.byteLength(filler))}`);
    const events = await read(huge(1), 1 << 16);
    assert.ok(codes(events).includes('segment.too-long'), `filler ${JSON.stringify(filler)}: ${codes(events).join(', ')}`);
    if (filler === 'A' || filler === '\n') await assertLinear(huge, 1 << 16);
  }
});

test('long segments that do end, fed in small chunks, are read in linear time', async () => {
  // Eight sets, each with one segment of 120 KiB (then 960 KiB, still under the 1 MiB limit).
  const longSegments = (scale: number) => {
    const value = 'X'.repeat(scale * 120 * 1024);
    const sets = Array.from({ length: 8 }, (_, s) => `ST*940*000${s + 1}~\nW05*N*ORDER1~\nNTE*WHI*${value}~\nSE*4*000${s + 1}~\n`);
    return Buffer.from(`${ISA}GS*OW*SENDER*RECEIVER*20261124*1200*7*X*004010~\n${sets.join('')}GE*8*7~\nIEA*1*000000101~\n`);
  };
  const events = await read(longSegments(GROWTH), 1024);
  assert.deepEqual(codes(events), []);
  assert.equal(events.filter((e) => e.type === 'set').length, 8);
  await assertLinear(longSegments, 1024);
});

test('a clean interchange is read in linear time in small and large chunks', async () => {
  const clean = (scale: number) => Buffer.from(interchange(scale * 800));
  await assertLinear(clean, 1 << 16);
  await assertLinear(clean, 1000);
});
