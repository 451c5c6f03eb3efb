/**
 * Benchmark: 2,000 queued confirmShipment calls for one seller through the adapter and the real
 * amazon-sp-api client against the local emulator at a stated time scale. Reports the achieved
 * rate as a share of the quota (published rate x time scale, after the burst) and the 429s
 * received. Target (issue 4): >= 95% of the quota and < 1% 429s. Writes bench/RESULTS.md.
 *
 *   node --import tsx bench/amazon-bench.ts [--calls 2000] [--time-scale 50] [--no-write]
 */
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AmazonAdapter } from '../src/amazon/adapter.ts';
import { PUBLISHED_LIMITS } from '../src/amazon/quota.ts';
import { AmazonEmulator } from '../src/sandbox/amazon/emulator.ts';
import { machine, numberArg, writeSection } from './results.ts';

const here = dirname(fileURLToPath(import.meta.url));
const arg = numberArg;
const calls = arg('calls', 2000);
const timeScale = arg('time-scale', 50);
const write = !process.argv.includes('--no-write');

const orders = Array.from({ length: calls }, (_, i) => ({
  orderId: `114-${String(1000000 + i).slice(-7)}-${String(7000000 + i).slice(-7)}`,
  marketplaceId: 'ATVPDKIKX0DER',
  createdTime: '2026-11-01T00:00:00Z',
  recipient: { name: 'Buyer', addressLine1: '1 Main St', city: 'Reno', stateOrRegion: 'NV', postalCode: '89502', countryCode: 'US' },
  items: [{ orderItemId: String(40000000000000 + i), sellerSku: 'SKU', asin: 'B000000001', quantity: 1 }],
}));

async function main(): Promise<void> {
  const emu = new AmazonEmulator({ seed: { sellers: [{ id: 'bench', sellingPartnerId: 'A1BENCH', refreshToken: 'Atzr|bench', marketplaces: ['ATVPDKIKX0DER'], orders }] }, timeScale });
  const port = await emu.start();
  const adapter = new AmazonAdapter(
    { id: 'bench', sellingPartnerId: 'A1BENCH', region: 'na', marketplaces: ['ATVPDKIKX0DER'], credentials: { clientId: 'c', clientSecret: 's', refreshToken: 'Atzr|bench' } },
    { endpoint: { port }, timeScale, timeoutMs: 10_000 },
  );
  const limit = PUBLISHED_LIMITS.confirmShipment;
  const start = process.hrtime.bigint();
  let firstSent = 0;
  await Promise.all(
    orders.map(async (o, i) => {
      await adapter.confirmShipment(o.orderId, o.marketplaceId, { packageReferenceId: '1', carrierCode: 'UPS', trackingNumber: `1ZBENCH${i}`, shipDate: '2026-11-24T22:05:00Z', orderItems: [{ orderItemId: o.items[0].orderItemId, quantity: 1 }] });
      if (i === 0) firstSent = Number(process.hrtime.bigint() - start) / 1e9;
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  adapter.close();
  await emu.stop();
  const confirm = emu.calls.filter((c) => c.operation === 'confirmShipment');
  const throttled = confirm.filter((c) => c.status === 429).length;
  const ok = confirm.filter((c) => c.status === 204).length;
  const quotaRate = limit.rate * timeScale;
  // The quota lets `burst` go at once and the rest at the rate: the ideal time for N calls.
  const ideal = Math.max(0, calls - limit.burst) / quotaRate;
  const share = ideal / seconds;
  const body = `## SP-API confirmShipment under quota — ${new Date().toISOString().slice(0, 10)}

Machine: ${machine()}.

${calls.toLocaleString('en-US')} confirmShipment calls queued at once for one seller, through \`AmazonAdapter\` and the
amazon-sp-api client, against the local emulator at time scale ${timeScale} (quota: ${limit.rate} requests/s x ${timeScale} =
${quotaRate} requests/s, burst ${limit.burst}, enforced by the emulator).

| measure | value |
|---|---|
| wall time | ${seconds.toFixed(2)} s (first answer after ${firstSent.toFixed(2)} s, including the LWA token) |
| ideal time at the quota | ${ideal.toFixed(2)} s |
| achieved rate | ${(calls / seconds).toFixed(1)} calls/s, **${(share * 100).toFixed(1)}% of the quota** |
| confirmations accepted | ${ok} of ${calls} |
| 429s received | **${throttled}** (${((throttled / confirm.length) * 100).toFixed(2)}% of ${confirm.length} requests) |

Targets (issue 4): >= 95% of the quota: ${share >= 0.95 ? 'met' : 'NOT met'}; < 1% 429s: ${throttled / confirm.length < 0.01 ? 'met' : 'NOT met'}.
Our buckets keep one token of the burst back (a request that leaves late must not bunch with the next), which costs one call's time in the burst.
`;
  process.stdout.write(body);
  if (write) writeSection(join(here, 'RESULTS.md'), 'SP-API confirmShipment under quota', body);
}

await main();
