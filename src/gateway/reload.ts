/**
 * Loading the mappings folder again while the gateway runs (POST /api/v1/mappings/reload): the
 * files that load replace theirs in ctx.mappings, which the flows read at each run, so a fixed
 * SKU table is used by the next order poll and by an exception retry. A file that now has
 * problems keeps its last good version (it is reported, with a mapping-problem exception, as
 * at start). Partners and sellers added or removed change the schedule: that needs a restart,
 * and the reload says so rather than half-doing it.
 */
import type { GatewayContext } from '../flows/context.ts';
import { formatProblem, loadMappings, type MappingProblem, type Mappings } from '../mapping/load.ts';
import type { MappingReload } from '../server/api.ts';
import { mappingProblemScope } from './gateway.ts';

/** The key mapping-problem exceptions of a load carry: the file (flows raise their own, keyed otherwise). */
export const loadKey = (file: string) => `load:${file}`;

/**
 * Raise a mapping-problem exception per file with problems, and resolve the load exceptions of
 * files that load cleanly now (start and reload both do this).
 */
export async function recordMappingProblems(ctx: GatewayContext, problems: MappingProblem[], leftOut: { partners: Iterable<string>; sellers: Iterable<string> }): Promise<void> {
  const now = ctx.clock.now().toISOString();
  const byFile = new Map<string, MappingProblem[]>();
  for (const p of problems) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p]);
  for (const [file, list] of byFile) {
    ctx.log.error({ event: 'mapping-problem', file, problems: list.map(formatProblem) }, `${file}: ${list.length} problem(s)`);
    await ctx.store.work.exceptions.raise({
      kind: 'mapping-problem',
      severity: 'critical',
      key: loadKey(file),
      message: `${file}: ${list[0].message}${list.length > 1 ? ` (and ${list.length - 1} more)` : ''}; dockgate mappings check lists them`,
      context: { mappingFile: file, where: `line ${list[0].line}`, details: { problems: list.slice(0, 20).map(formatProblem), leftOut: { partners: [...leftOut.partners], sellers: [...leftOut.sellers] } } },
      now,
    });
  }
  // A file fixed since: its load exception is resolved.
  for (const x of await ctx.store.work.exceptions.list({ kind: 'mapping-problem', states: ['open', 'acknowledged'] })) {
    if (x.key.startsWith('load:') && !byFile.has(x.key.slice(5))) await ctx.store.work.exceptions.resolve(x.id, 'the mapping file loads without problems now', now);
  }
}

type KindMap = 'sellers' | 'skuTables' | 'carrierTables' | 'partners' | 'layouts';
const KINDS: KindMap[] = ['sellers', 'skuTables', 'carrierTables', 'partners', 'layouts'];

/**
 * The new load with every object whose file now has problems replaced by its last good version
 * (and an object only a bad file declares left out).
 */
export function mergeMappings(previous: Mappings, next: Mappings, problems: MappingProblem[]): { mappings: Mappings; kept: string[] } {
  const bad = new Set(problems.map((p) => p.file));
  const merged: Mappings = { sellers: new Map(), skuTables: new Map(), carrierTables: new Map(), partners: new Map(), layouts: new Map(), files: new Map(next.files) };
  const kept = new Set<string>();
  for (const kind of KINDS) {
    const into = merged[kind] as Map<string, object>;
    for (const [id, o] of next[kind] as Map<string, object>) if (!bad.has(next.files.get(o) ?? '')) into.set(id, o);
    for (const [id, o] of previous[kind] as Map<string, object>) {
      const file = previous.files.get(o) ?? '';
      if (into.has(id) || !bad.has(file)) continue;
      into.set(id, o);
      merged.files.set(o, file);
      kept.add(file);
    }
  }
  return { mappings: merged, kept: [...kept].sort() };
}

export interface InUse {
  sellers: readonly string[];
  partners: readonly string[];
}

/** Reloads one gateway's (or `dockgate serve`'s) mappings; one reload at a time. */
export class MappingReloader {
  private current: MappingProblem[];
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: GatewayContext,
    private readonly inUse: InUse,
    problems: MappingProblem[],
  ) {
    this.current = problems;
  }

  /** The problems of the last load (start or reload). */
  problems(): MappingProblem[] {
    return this.current;
  }

  reload(): Promise<MappingReload> {
    const run = this.last.then(() => this.reloadNow());
    this.last = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(): Promise<MappingReload> {
    const { ctx } = this;
    const loaded = loadMappings(ctx.mappingsDir);
    const { mappings, kept } = mergeMappings(ctx.mappings, loaded.mappings, loaded.problems);
    const restartNeeded: string[] = [];
    for (const s of this.inUse.sellers) if (!mappings.sellers.has(s)) restartNeeded.push(`seller ${s} removed`);
    for (const p of this.inUse.partners) if (!mappings.partners.has(p)) restartNeeded.push(`partner ${p} removed`);
    for (const s of mappings.sellers.keys()) if (!this.inUse.sellers.includes(s) && !ctx.mappings.sellers.has(s)) restartNeeded.push(`seller ${s} added`);
    for (const p of mappings.partners.keys()) if (!this.inUse.partners.includes(p) && !ctx.mappings.partners.has(p)) restartNeeded.push(`partner ${p} added`);
    // A removed seller or partner keeps running on its last version until the restart: its tasks are still scheduled.
    for (const s of this.inUse.sellers) if (!mappings.sellers.has(s) && ctx.mappings.sellers.has(s)) keepSeller(ctx.mappings, mappings, s);
    for (const p of this.inUse.partners) if (!mappings.partners.has(p) && ctx.mappings.partners.has(p)) keepPartner(ctx.mappings, mappings, p);
    const scope = mappingProblemScope(loaded.mappings, loaded.problems);
    await recordMappingProblems(ctx, loaded.problems, scope);
    ctx.mappings = mappings;
    this.current = loaded.problems;
    const loadedAt = ctx.clock.now().toISOString();
    ctx.log.info({ event: 'mappings-reloaded', problems: loaded.problems.length, keptLastGood: kept, restartNeeded }, `mappings reloaded from ${ctx.mappingsDir}${kept.length ? `; kept the last good version of ${kept.join(', ')}` : ''}`);
    return {
      loadedAt,
      problems: loaded.problems.map((p) => ({ file: p.file, line: p.line, ...(p.column ? { column: p.column } : {}), message: p.message })),
      partners: this.inUse.partners.filter((p) => mappings.partners.has(p)),
      sellers: this.inUse.sellers.filter((s) => mappings.sellers.has(s)),
      restartNeeded,
    };
  }
}

function keepSeller(from: Mappings, into: Mappings, id: string): void {
  const s = from.sellers.get(id)!;
  into.sellers.set(id, s);
  into.files.set(s, from.files.get(s) ?? '');
  const skus = from.skuTables.get(s.skus);
  if (skus && !into.skuTables.has(s.skus)) {
    into.skuTables.set(s.skus, skus);
    into.files.set(skus, from.files.get(skus) ?? '');
  }
}

function keepPartner(from: Mappings, into: Mappings, id: string): void {
  const p = from.partners.get(id)!;
  into.partners.set(id, p);
  into.files.set(p, from.files.get(p) ?? '');
  for (const c of p.carriers) {
    const t = from.carrierTables.get(c);
    if (t && !into.carrierTables.has(c)) {
      into.carrierTables.set(c, t);
      into.files.set(t, from.files.get(t) ?? '');
    }
  }
  for (const d of Object.values(p.documents)) {
    const l = d?.layout ? from.layouts.get(d.layout) : undefined;
    if (d?.layout && l && !into.layouts.has(d.layout)) {
      into.layouts.set(d.layout, l);
      into.files.set(l, from.files.get(l) ?? '');
    }
  }
}
