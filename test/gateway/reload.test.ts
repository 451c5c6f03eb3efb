/**
 * Mapping reload while running: a fixed SKU table replaces the old one in ctx.mappings (the
 * flows read it at their next run); a file broken by an edit keeps its last good version, is
 * reported and raises its mapping-problem exception, which the fix resolves; a partner added
 * or removed needs a restart and the reload says so.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MappingReloader } from '../../src/gateway/reload.ts';
import { MAPPINGS, startHarness, type Harness } from '../flows/harness.ts';

describe('mapping reload', () => {
  let dir: string;
  let h: Harness;
  let reloader: MappingReloader;
  const skuFile = () => join(dir, 'tables/acme-skus.yaml');
  const original = readFileSync(join(MAPPINGS, 'tables/acme-skus.yaml'), 'utf8');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dockgate-reload-'));
    cpSync(MAPPINGS, dir, { recursive: true });
    h = await startHarness({ mappingsDir: dir });
    reloader = new MappingReloader(h.ctx, { sellers: [...h.mappings.sellers.keys()], partners: [...h.mappings.partners.keys()] }, []);
  });
  after(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const openLoadExceptions = async () => (await h.store.work.exceptions.list({ kind: 'mapping-problem', states: ['open', 'acknowledged'] })).filter((x) => x.key.startsWith('load:'));

  it('takes a fixed SKU table at once', async () => {
    writeFileSync(skuFile(), original.replace('warehouseItem: TS-RED-M,', 'warehouseItem: TS-RED-M-NEW,'));
    const before = h.ctx.mappings;
    const r = await reloader.reload();
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.restartNeeded, []);
    assert.deepEqual(r.sellers.sort(), ['acme', 'northwind']);
    assert.notEqual(h.ctx.mappings, before, 'ctx.mappings is a new Mappings');
    const item = h.ctx.mappings.skuTables.get('acme-skus')!.items.find((i) => i.sellerSku === 'TSHIRT-RED-M');
    assert.equal((item as { warehouseItem?: string }).warehouseItem, 'TS-RED-M-NEW');
    assert.deepEqual(reloader.problems(), []);
  });

  it('keeps the last good version of a file an edit broke, reports it and raises its exception; the fix resolves it', async () => {
    const good = h.ctx.mappings.skuTables.get('acme-skus');
    writeFileSync(skuFile(), `${original}\n  - { sellerSku: [unclosed\n`);
    const broken = await reloader.reload();
    assert.ok(broken.problems.length > 0);
    // The table's own YAML error, and the seller file whose reference to it no longer resolves.
    const own = broken.problems.find((p) => p.file.endsWith('tables/acme-skus.yaml'));
    assert.ok(own && own.line > 0 && /YAML/.test(own.message), JSON.stringify(broken.problems));
    assert.ok(broken.problems.every((p) => /acme(-skus)?\.yaml$/.test(p.file)), JSON.stringify(broken.problems));
    assert.equal(h.ctx.mappings.skuTables.get('acme-skus'), good, 'the last good table is still in use');
    assert.ok(h.ctx.mappings.sellers.has('acme'));
    assert.deepEqual(broken.sellers.sort(), ['acme', 'northwind']);
    assert.equal(reloader.problems().length, broken.problems.length);
    const raised = await openLoadExceptions();
    assert.ok(raised.some((x) => x.key === `load:${own.file}`), JSON.stringify(raised.map((x) => x.key)));
    writeFileSync(skuFile(), original);
    const fixed = await reloader.reload();
    assert.deepEqual(fixed.problems, []);
    assert.notEqual(h.ctx.mappings.skuTables.get('acme-skus'), good);
    assert.deepEqual(await openLoadExceptions(), [], 'the fix resolves the exception');
    assert.ok(h.logs.some((l) => l.event === 'mappings-reloaded'));
  });

  it('says a partner added or removed needs a restart, and keeps a removed one running on its last version', async () => {
    const partnerFile = join(dir, 'partners/cascade-csv.yaml');
    const text = readFileSync(partnerFile, 'utf8');
    writeFileSync(join(dir, 'partners/cascade-two.yaml'), text.replace(/^id: cascade-csv$/m, 'id: cascade-two').replace(/^name: .*$/m, 'name: Cascade two'));
    const added = await reloader.reload();
    assert.deepEqual(added.problems, []);
    assert.deepEqual(added.restartNeeded, ['partner cascade-two added']);
    unlinkSync(join(dir, 'partners/cascade-two.yaml'));
    unlinkSync(partnerFile);
    const removed = await reloader.reload();
    assert.deepEqual(removed.restartNeeded, ['partner cascade-csv removed']);
    assert.ok(h.ctx.mappings.partners.has('cascade-csv'), 'its tasks still run until the restart');
    assert.ok(removed.partners.includes('cascade-csv'));
    writeFileSync(partnerFile, text);
    assert.deepEqual((await reloader.reload()).restartNeeded, []);
  });
});
