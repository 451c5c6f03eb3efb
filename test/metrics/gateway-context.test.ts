/**
 * What buildGatewayContext wires for the metrics: the registry in ctx.metrics, partner
 * connections counted and recorded in their status cursor (readyz and the partners API read
 * it) — a partner whose transport cannot be made is a failed connection, and the next success
 * keeps the last failure's time — and the store the flows get counting what they write.
 *
 * (Every assert.ok has a message: without one, node's assert reads the source to describe the
 * failure, and under tsx's transform that can spin for minutes.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import type { GatewayConfig } from '../../src/gateway/config.ts';
import { buildGatewayContext } from '../../src/gateway/context.ts';
import { loadMappings } from '../../src/mapping/load.ts';
import { CURSORS } from '../../src/server/api.ts';
import { MAPPINGS, TestClock } from '../flows/harness.ts';

function config(dataDir: string, partnerRoot: string | null): GatewayConfig {
  return {
    dataDir,
    retentionDays: 30,
    mappingsDir: MAPPINGS,
    partners: null,
    sellers: null,
    amazon: { endpoint: null, perSeller: {}, timeScale: 1 },
    partnerRoot,
    schedules: { orders: { seconds: 120 }, checks: { seconds: 60 }, partners: {}, pollSeconds: null },
    settings: { lateOrderLeadMinutes: 120, inventoryFreshnessMinutes: 1440, feedThreshold: 20, ordersPerFile: 100, ordersOverlapSeconds: 300, firstLookbackDays: 7, channelRefreshHours: 24, leaseMs: 120_000, secondLookMs: 0 },
    workers: 1,
    maxAttempts: 3,
  } as GatewayConfig;
}

const line = (text: string, prefix: string) => text.split('\n').find((l) => l.startsWith(prefix)) ?? null;

test('partner connections counted and recorded in their status cursor; the flows\' writes counted through the store', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dockgate-metrics-ctx-'));
  const { mappings } = loadMappings(MAPPINGS);
  const log = pino({ level: 'silent' });
  const clock = new TestClock(Date.parse('2026-11-25T00:00:00Z'));
  try {
    // The sample reno-wms is SFTP with a key file this machine does not have: no transport, a failed connection.
    const first = buildGatewayContext(config(dataDir, null), { mappings, log, clock, env: {} });
    try {
      await assert.rejects(first.ctx.transport('reno-wms'));
      const text = await first.ctx.metrics.render();
      assert.equal(line(text, 'dockgate_transport_connections_total{partner="reno-wms",outcome="failed"}'), 'dockgate_transport_connections_total{partner="reno-wms",outcome="failed"} 1');
      const status = JSON.parse((await first.ctx.store.work.cursors.get(CURSORS.partnerConnection('reno-wms')))!);
      assert.equal(status.lastOkAt, null);
      assert.equal(status.lastErrorAt, '2026-11-25T00:00:00.000Z');
      assert.ok(typeof status.lastError === 'string' && status.lastError.length > 0, JSON.stringify(status));
    } finally {
      await first.close();
    }

    // The same data directory with --partner-root: a directory transport that connects.
    clock.advance(60_000);
    const root = join(dataDir, 'partners');
    const second = buildGatewayContext(config(dataDir, root), { mappings, log, clock, env: {} });
    try {
      await second.ctx.transport('reno-wms');
      const text = await second.ctx.metrics.render();
      assert.equal(line(text, 'dockgate_transport_connections_total{partner="reno-wms",outcome="ok"}'), 'dockgate_transport_connections_total{partner="reno-wms",outcome="ok"} 1');
      assert.equal(line(text, 'dockgate_transport_connections_total{partner="reno-wms",outcome="failed"}'), null, 'a registry per process: the first one\'s count is not here');
      const status = JSON.parse((await second.ctx.store.work.cursors.get(CURSORS.partnerConnection('reno-wms')))!);
      assert.equal(status.lastOkAt, '2026-11-25T00:01:00.000Z');
      assert.equal(status.lastErrorAt, '2026-11-25T00:00:00.000Z', 'the last failure is kept');

      // The store the flows get counts what they write: an exception opened once, bumped twice; in a transaction, counted at the commit only.
      const now = clock.now().toISOString();
      for (let i = 0; i < 2; i++) await second.ctx.store.work.exceptions.raise({ kind: 'unmapped-sku', severity: 'error', seller: 'acme', key: 'SKU-X', message: 'not mapped', now });
      await assert.rejects(
        second.ctx.store.transaction(async (w) => {
          await w.exceptions.raise({ kind: 'unmapped-carrier', severity: 'warning', partner: 'reno-wms', key: 'ZZZZ', message: 'not mapped', now });
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      await second.ctx.store.transaction((w) => w.exceptions.raise({ kind: 'unmapped-carrier', severity: 'warning', partner: 'reno-wms', key: 'YYYY', message: 'not mapped', now }));
      const after = await second.ctx.metrics.render();
      assert.equal(line(after, 'dockgate_exceptions_raised_total{kind="unmapped-sku",severity="error"}'), 'dockgate_exceptions_raised_total{kind="unmapped-sku",severity="error"} 1');
      assert.equal(line(after, 'dockgate_exceptions_raised_total{kind="unmapped-carrier",severity="warning"}'), 'dockgate_exceptions_raised_total{kind="unmapped-carrier",severity="warning"} 1');
      assert.equal(line(after, 'dockgate_exceptions_open{kind="unmapped-carrier"}'), 'dockgate_exceptions_open{kind="unmapped-carrier"} 1');
      assert.equal(line(after, 'dockgate_exception_oldest_open_age_seconds'), 'dockgate_exception_oldest_open_age_seconds 0');
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
