/**
 * The gateway's configuration: flags over environment over dockgate.yaml over defaults, the
 * contract flags and variables, and the refusals (a time scale against Amazon's hosts, a bad
 * endpoint, a bad cron expression located in the file).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, ENVIRONMENT, loadConfig } from '../../src/config/config.ts';
import { DEFAULT_SETTINGS } from '../../src/flows/context.ts';
import { backoffDelay } from '../../src/retry/backoff.ts';
import { checkTimeScale, isAmazonHost, orderSchedule, parseEndpoint, partnerSchedule, resolveGatewayConfig } from '../../src/gateway/config.ts';
import { triggerFor } from '../../src/gateway/scheduler.ts';
import { loadMappings } from '../../src/mapping/load.ts';
import { MAPPINGS } from '../flows/harness.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'dockgate-gwconf-'));

function withFile(yaml: string) {
  const cwd = dir();
  writeFileSync(join(cwd, 'dockgate.yaml'), yaml);
  return { cwd, loaded: loadConfig({ env: {}, cwd }) };
}

test('defaults: ./mappings beside the configuration, all partners and sellers, orders every 120 s, checks every 60 s, the flow defaults', () => {
  const cwd = dir();
  const c = resolveGatewayConfig(loadConfig({ env: {}, cwd }), {}, {}, cwd);
  assert.equal(c.mappingsDir, join(cwd, 'mappings'));
  assert.equal(c.partners, null);
  assert.equal(c.sellers, null);
  assert.deepEqual(c.schedules.orders, { seconds: 120 });
  assert.deepEqual(c.schedules.checks, { seconds: 60 });
  assert.equal(c.amazon.endpoint, null);
  assert.equal(c.amazon.timeScale, 1);
  assert.equal(c.partnerRoot, null);
  assert.deepEqual(c.settings, DEFAULT_SETTINGS);
  assert.equal(c.workers, 4);
  assert.equal(c.maxAttempts, 10);
});

test('precedence: flags over environment over the file over defaults, for every contract setting', () => {
  const { cwd, loaded } = withFile(
    [
      'gateway:',
      '  mappings: conf/mappings',
      '  partners: [reno-wms]',
      '  sellers: [acme]',
      '  amazon: { endpoint: "http://127.0.0.1:7001", timeScale: 10, perSeller: { northwind: { endpoint: "http://localhost:7002" } } }',
      '  schedules: { orders: 300, checks: "*/30 * * * * *", partners: { reno-wms: 45 } }',
      '  lateOrderLeadMinutes: 90',
      '  inventoryFreshnessMinutes: 600',
      '  feedThreshold: 5',
      '  ordersPerFile: 25',
      '',
    ].join('\n'),
  );
  const file = resolveGatewayConfig(loaded, {}, {}, cwd);
  assert.equal(file.mappingsDir, join(cwd, 'conf/mappings'));
  assert.deepEqual(file.partners, ['reno-wms']);
  assert.deepEqual(file.amazon.endpoint, { url: 'http://127.0.0.1:7001', host: '127.0.0.1', port: 7001 });
  assert.equal(file.amazon.perSeller.northwind.port, 7002);
  assert.equal(file.amazon.timeScale, 10);
  assert.deepEqual(file.schedules.orders, { seconds: 300 });
  assert.deepEqual(file.schedules.checks, { cron: '*/30 * * * * *' });
  assert.deepEqual(file.schedules.partners['reno-wms'], { seconds: 45 });
  assert.equal(file.settings.lateOrderLeadMinutes, 90);
  assert.equal(file.settings.inventoryFreshnessMinutes, 600);
  assert.equal(file.settings.feedThreshold, 5);
  assert.equal(file.settings.ordersPerFile, 25);
  assert.equal(file.settings.leaseMs, DEFAULT_SETTINGS.leaseMs, 'unset keeps the default');

  const env = { DOCKGATE_MAPPINGS: 'env-maps', DOCKGATE_AMAZON_ENDPOINT: 'http://127.0.0.1:8001', DOCKGATE_AMAZON_TIME_SCALE: '50', DOCKGATE_PARTNER_ROOT: 'env-root', DOCKGATE_POLL_SECONDS: '15' };
  const fromEnv = resolveGatewayConfig(loaded, {}, env, '/run/here');
  assert.equal(fromEnv.mappingsDir, '/run/here/env-maps', 'a variable is relative to where the command runs');
  assert.equal(fromEnv.amazon.endpoint?.port, 8001);
  assert.equal(fromEnv.amazon.timeScale, 50);
  assert.equal(fromEnv.partnerRoot, '/run/here/env-root');
  assert.equal(fromEnv.schedules.pollSeconds, 15);

  const flags = resolveGatewayConfig(loaded, { mappings: 'flag-maps', amazonEndpoint: 'http://127.0.0.1:9001', amazonTimeScale: '100', partnerRoot: '/abs/root', pollSeconds: '90' }, env, '/run/here');
  assert.equal(flags.mappingsDir, '/run/here/flag-maps');
  assert.equal(flags.amazon.endpoint?.port, 9001);
  assert.equal(flags.amazon.timeScale, 100);
  assert.equal(flags.partnerRoot, '/abs/root');
  assert.equal(flags.schedules.pollSeconds, 90);
  // --poll-seconds: every poll, orders and files, whatever the schedules say.
  const reno = loadMappings(MAPPINGS).mappings.partners.get('reno-wms')!;
  assert.deepEqual(orderSchedule(flags), { seconds: 90 });
  assert.deepEqual(partnerSchedule(flags, reno), { seconds: 90 });
  assert.deepEqual(partnerSchedule(file, reno), { seconds: 45 }, "gateway.schedules.partners overrides the partner file's pollSeconds");
  const cascade = loadMappings(MAPPINGS).mappings.partners.get('cascade-csv')!;
  assert.deepEqual(partnerSchedule(file, cascade), { seconds: cascade.transport.pollSeconds });
});

test('the contract variables are documented in ENVIRONMENT', () => {
  for (const name of ['DOCKGATE_MAPPINGS', 'DOCKGATE_AMAZON_ENDPOINT', 'DOCKGATE_AMAZON_TIME_SCALE', 'DOCKGATE_PARTNER_ROOT', 'DOCKGATE_POLL_SECONDS', 'DOCKGATE_DATA_DIR']) {
    assert.ok(name in ENVIRONMENT, name);
  }
});

test('--amazon-time-scale is refused without an endpoint override, or with one at Amazon itself', () => {
  const cwd = dir();
  const loaded = loadConfig({ env: {}, cwd });
  assert.throws(() => resolveGatewayConfig(loaded, { amazonTimeScale: '100' }, {}, cwd), (e: Error) => e instanceof ConfigError && /--amazon-time-scale 100: refused without an endpoint override/.test(e.message));
  assert.throws(() => resolveGatewayConfig(loaded, {}, { DOCKGATE_AMAZON_TIME_SCALE: '100' }, cwd), /DOCKGATE_AMAZON_TIME_SCALE 100: refused/);
  for (const host of ['sellingpartnerapi-na.amazon.com', 'sandbox.sellingpartnerapi-eu.amazon.com', 'api.amazon.co.uk', 'sellingpartnerapi-fe.amazon.com', 'x.execute-api.us-east-1.amazonaws.com']) {
    assert.ok(isAmazonHost(host), host);
    assert.throws(() => resolveGatewayConfig(loaded, { amazonEndpoint: `http://${host}`, amazonTimeScale: '100' }, {}, cwd), /is one of Amazon's own hosts/, host);
  }
  for (const host of ['127.0.0.1', 'localhost', 'emulator.internal', 'notamazon.com', 'amazon.example']) assert.ok(!isAmazonHost(host), host);
  const ok = resolveGatewayConfig(loaded, { amazonEndpoint: 'http://127.0.0.1:8787', amazonTimeScale: '100' }, {}, cwd);
  assert.equal(ok.amazon.timeScale, 100);
  checkTimeScale(ok, ['acme', 'northwind']);
  // Only a per-seller override: the seller without one would call Amazon at a faster quota.
  const { loaded: perSeller } = withFile('gateway:\n  amazon: { timeScale: 10, perSeller: { acme: { endpoint: "http://127.0.0.1:1" } } }\n');
  const c = resolveGatewayConfig(perSeller, {}, {}, cwd);
  checkTimeScale(c, ['acme']);
  assert.throws(() => checkTimeScale(c, ['acme', 'northwind']), /seller\(s\) northwind have no endpoint override/);
  assert.throws(() => resolveGatewayConfig(loaded, { amazonTimeScale: '0' }, {}, cwd), /must be a positive number/);
  assert.throws(() => resolveGatewayConfig(loaded, { amazonTimeScale: 'fast' }, {}, cwd), /must be a positive number/);
});

test('endpoints: http://host:port only; bad values name the flag or variable', () => {
  assert.deepEqual(parseEndpoint('http://127.0.0.1:8787', 'x'), { url: 'http://127.0.0.1:8787', host: '127.0.0.1', port: 8787 });
  assert.equal(parseEndpoint('http://[::1]:8787', 'x').host, '::1');
  assert.equal(parseEndpoint('http://emu', 'x').port, 80);
  assert.throws(() => parseEndpoint('https://127.0.0.1:1', '--amazon-endpoint'), /--amazon-endpoint: .*only http:\/\/host:port/);
  assert.throws(() => parseEndpoint('127.0.0.1:8787', 'DOCKGATE_AMAZON_ENDPOINT'), /DOCKGATE_AMAZON_ENDPOINT: .*not a URL|only http/);
  assert.throws(() => parseEndpoint('http://h:1/path', 'x'), /no path/);
  assert.throws(() => parseEndpoint('http://u:p@h:1', 'x'), /credentials/);
  const cwd = dir();
  assert.throws(() => resolveGatewayConfig(loadConfig({ env: {}, cwd }), {}, { DOCKGATE_POLL_SECONDS: '1.5' }, cwd), /DOCKGATE_POLL_SECONDS must be a positive whole number/);
  assert.throws(() => resolveGatewayConfig(loadConfig({ env: {}, cwd }), { pollSeconds: '-3' }, {}, cwd), /--poll-seconds must be a positive whole number/);
});

test('mistakes in the gateway section are located in the file', () => {
  const cwd = dir();
  writeFileSync(join(cwd, 'dockgate.yaml'), 'dataDir: ./d\ngateway:\n  schedules:\n    orders: "every tuesday"\n');
  assert.throws(() => loadConfig({ env: {}, cwd }), (e: Error) => e instanceof ConfigError && /dockgate\.yaml:4:\d+: gateway\.schedules\.orders: .*cron expression/.test(e.message));
  writeFileSync(join(cwd, 'dockgate.yaml'), 'gateway:\n  ordersPerFile: 0\n');
  assert.throws(() => loadConfig({ env: {}, cwd }), /dockgate\.yaml:2:\d+: gateway\.ordersPerFile/);
  writeFileSync(join(cwd, 'dockgate.yaml'), 'gateway:\n  polls: 3\n');
  assert.throws(() => loadConfig({ env: {}, cwd }), /dockgate\.yaml:\d+:\d+: gateway: .*polls/);
  writeFileSync(join(cwd, 'dockgate.yaml'), 'gateway:\n  amazon: { endpoint: "ftp://x" }\n');
  assert.throws(() => resolveGatewayConfig(loadConfig({ env: {}, cwd }), {}, {}, cwd), /gateway\.amazon\.endpoint: .*only http/);
});

test('schedules in seconds: a cron expression when it gives the interval exactly, else an interval timer', () => {
  assert.deepEqual(triggerFor({ seconds: 1 }), { kind: 'cron', expression: '* * * * * *' });
  assert.deepEqual(triggerFor({ seconds: 15 }), { kind: 'cron', expression: '*/15 * * * * *' });
  assert.deepEqual(triggerFor({ seconds: 60 }), { kind: 'cron', expression: '0 * * * * *' });
  assert.deepEqual(triggerFor({ seconds: 120 }), { kind: 'cron', expression: '0 */2 * * * *' });
  assert.deepEqual(triggerFor({ seconds: 3600 }), { kind: 'cron', expression: '0 0 */1 * * *' });
  assert.deepEqual(triggerFor({ seconds: 86_400 }), { kind: 'cron', expression: '0 0 0 * * *' });
  // */N restarts at each minute: 45 would fire at :00 and :45 (gaps of 45 and 15 s); 90 is no seconds step at all.
  for (const n of [7, 45, 90, 100, 420, 2700, 25_200]) assert.deepEqual(triggerFor({ seconds: n }), { kind: 'interval', ms: n * 1000 }, String(n));
  assert.deepEqual(triggerFor({ cron: '0 3 * * *' }), { kind: 'cron', expression: '0 3 * * *' });
});

test('backoff: exponential with full jitter, capped, the random source injected', () => {
  const policy = { baseMs: 1000, capMs: 60_000 };
  assert.equal(backoffDelay(1, policy, () => 0.5), 500);
  assert.equal(backoffDelay(2, policy, () => 0.5), 1000);
  assert.equal(backoffDelay(4, policy, () => 0.5), 4000);
  assert.equal(backoffDelay(30, policy, () => 0.5), 30_000, 'capped');
  assert.equal(backoffDelay(10_000, policy, () => 0.5), 30_000, 'no overflow for any attempt');
  assert.equal(backoffDelay(3, policy, () => 0), 0);
  assert.ok(backoffDelay(3, policy, () => 1) < 4000, 'a source returning 1 stays under the ceiling');
  assert.throws(() => backoffDelay(0, policy), RangeError);
});
