/**
 * The X12 side of the layout engine: scopes are loops of a set's tree (src/x12/tree.ts), paths
 * are X12 paths (docs/x12-paths.md). Reading walks the tree the validator built; writing builds
 * a tree in the order the set's schema gives, numbers HL levels, and hands it to the writer.
 */
import { isLoopNode, type ElementValue, type LoopNode, type SegmentNode, type SetTree, type TreeNode } from '../../x12/tree.ts';
import { parsePath, selectAll, type ParsedPath, type PathStep } from '../../x12/path.ts';
import type { CompiledLoop as SchemaLoop, CompiledSetSchema } from '../../x12/schema/load.ts';
import type { OutboundSegment } from '../../x12/outbound.ts';
import { LayoutError, type CompiledLoop, type FormatAdapter } from '../engine.ts';
import { X12_DATES } from '../values.ts';

export interface X12Scope {
  node: SetTree | LoopNode | SegmentNode;
  parent: X12Scope | null;
  /** The schema loop of this scope (the set's root for the set), null for a plain segment. */
  schemaLoop: SchemaLoop | null;
}

interface Path {
  absolute: boolean;
  parsed: ParsedPath;
}

const pathCache = new Map<string, Path>();
function path(text: string): Path {
  let p = pathCache.get(text);
  if (!p) {
    const absolute = text.startsWith('/');
    p = { absolute, parsed: parsePath(absolute ? text.slice(1) : text) };
    pathCache.set(text, p);
  }
  return p;
}

const oneStep = (step: PathStep): ParsedPath => ({ text: step.segment, steps: [step], element: null, component: null, repetition: null });

function isSegment(n: X12Scope['node']): n is SegmentNode {
  return (n as SegmentNode).segment !== undefined && (n as LoopNode).loop === undefined;
}

function trigger(n: TreeNode): SegmentNode {
  return isLoopNode(n) ? (n.children[0] as SegmentNode) : n;
}

function text(v: ElementValue | undefined, component: number | null): string | undefined {
  if (v === undefined) return undefined;
  const one = typeof v === 'object' && !Array.isArray(v) ? v.repeats[0] : v;
  if (one === undefined) return undefined;
  if (typeof one === 'string') return component === null || component === 1 ? one : undefined;
  return one[(component ?? 1) - 1];
}

function loopsById(schema: CompiledSetSchema): Map<string, SchemaLoop> {
  const out = new Map<string, SchemaLoop>();
  const walk = (l: SchemaLoop) => {
    out.set(l.id, l);
    for (const i of l.items) if (i.kind === 'loop') walk(i);
  };
  walk(schema.root);
  return out;
}

export class X12Adapter implements FormatAdapter<X12Scope> {
  readonly dates = X12_DATES;
  private readonly loops: Map<string, SchemaLoop>;
  constructor(readonly schema: CompiledSetSchema) {
    this.loops = loopsById(schema);
  }

  rootScope(tree: SetTree): X12Scope {
    return { node: tree, parent: null, schemaLoop: this.schema.root };
  }

  private scopeOf(node: TreeNode, parent: X12Scope): X12Scope {
    return { node, parent, schemaLoop: isLoopNode(node) ? (this.loops.get(node.loopId ?? '') ?? this.findLoopByTrigger(node.loop)) : null };
  }

  private findLoopByTrigger(trigger: string): SchemaLoop | null {
    for (const l of this.loops.values()) if (l.trigger === trigger) return l;
    return null;
  }

  /** The scope a path is relative to: the nearest scope (this one or an ancestor) whose loop holds its first segment. */
  private home(scope: X12Scope, p: Path): X12Scope {
    if (p.absolute) {
      let s = scope;
      while (s.parent) s = s.parent;
      return s;
    }
    const first = p.parsed.steps[0].segment;
    for (let s: X12Scope | null = scope; s; s = s.parent) {
      if (isSegment(s.node)) {
        if (s.node.segment === first) return s;
        continue;
      }
      const loop = s.schemaLoop;
      if (!loop) continue;
      if (loop.trigger === first || loop.items.some((i) => i.key === first)) return s;
      if (this.schema.hierarchy && first === 'HL' && loop.trigger === 'HL') return s;
    }
    return scope;
  }

  get(scope: X12Scope, text_: string): string | undefined {
    return this.getAll(scope, text_)[0];
  }

  getAll(scope: X12Scope, pathText: string): string[] {
    const p = path(pathText);
    const home = this.home(scope, p);
    const values: Array<string | undefined> = isSegment(home.node)
      ? [p.parsed.element === null ? undefined : text(home.node.elements[p.parsed.element - 1], p.parsed.component)]
      : selectAll(home.node, p.parsed).map((m) => m.value);
    return values.filter((v): v is string => v !== undefined && v.trim() !== '').map((v) => v.trimEnd());
  }

  instances(scope: X12Scope, loop: CompiledLoop): X12Scope[] {
    if (!loop.path) throw new LayoutError(`loops.${loop.full}: an X12 layout needs the loop's path`);
    const p = path(loop.path);
    let scopes = [this.home(scope, p)];
    for (const step of p.parsed.steps) {
      scopes = scopes.flatMap((s) => (isSegment(s.node) ? [] : selectAll(s.node, oneStep(step)).map((m) => this.scopeOf(m.node, s))));
    }
    return scopes;
  }

  // ---------------------------------------------------------------- writing

  /** Where a new child with this segment id goes in a scope, by the schema's order. */
  private place(scope: X12Scope, segment: string): { order: number; loop: SchemaLoop | null } {
    const loop = scope.schemaLoop;
    if (!loop) throw new LayoutError(`${segment} cannot be placed inside a segment`);
    // A loop's first item is its own trigger: another of it inside the loop is a nested level, not a segment.
    const i = loop.items.findIndex((it, k) => it.key === segment && !(k === 0 && loop.id !== ''));
    if (i >= 0) {
      const it = loop.items[i];
      return { order: i, loop: it.kind === 'loop' ? it : null };
    }
    if (this.schema.hierarchy && loop.trigger === 'HL' && segment === 'HL') return { order: Number.MAX_SAFE_INTEGER, loop };
    throw new LayoutError(`${segment} has no place in ${loop.id ? `loop ${loop.id} (${loop.trigger})` : `the ${this.schema.id} set's header`}`);
  }

  private orderOf(scope: X12Scope, n: TreeNode): number {
    const loop = scope.schemaLoop!;
    if (isLoopNode(n)) {
      const i = loop.items.findIndex((it) => it.kind === 'loop' && it.trigger === n.loop);
      return i >= 0 ? i : Number.MAX_SAFE_INTEGER;
    }
    return Math.max(0, loop.items.findIndex((it) => it.key === n.segment));
  }

  private create(scope: X12Scope, step: PathStep): X12Scope {
    const { order, loop } = this.place(scope, step.segment);
    const seg: SegmentNode = { segment: step.segment, elements: [] };
    for (const f of step.filters) if (f.element !== null) setElement(seg, f.element, null, f.values[0]);
    const node: TreeNode = loop ? { loop: step.segment, loopId: loop.id, children: [seg] } : seg;
    const children = (scope.node as SetTree | LoopNode).children;
    let at = children.length;
    while (at > 0 && this.orderOf(scope, children[at - 1]) > order) at--;
    // A loop's trigger stays first.
    if (isLoopNode(scope.node as TreeNode) && at === 0) at = 1;
    children.splice(at, 0, node);
    return this.scopeOf(node, scope);
  }

  /** Direct children (and the scope's own trigger) matching a step, for writing. */
  private find(scope: X12Scope, step: PathStep): X12Scope[] {
    if (isSegment(scope.node)) return scope.node.segment === step.segment ? [scope] : [];
    const own = scope.node as SetTree | LoopNode;
    const out: X12Scope[] = [];
    own.children.forEach((c, i) => {
      const id = isLoopNode(c) ? c.loop : c.segment;
      if (id !== step.segment) return;
      const t = trigger(c);
      if (!step.filters.every((f) => f.element === null || f.values.includes(text(t.elements[f.element - 1], null) ?? '\u0000'))) return;
      // The trigger of the scope's own loop is the scope itself.
      out.push(isLoopNode(own as TreeNode) && i === 0 ? scope : this.scopeOf(c, scope));
    });
    const index = step.filters.find((f) => f.index !== null)?.index;
    return index != null ? out.slice(index - 1, index) : out;
  }

  private walk(scope: X12Scope, p: Path, createLast: boolean): X12Scope {
    let s = this.home(scope, p);
    p.parsed.steps.forEach((step, k) => {
      const last = k === p.parsed.steps.length - 1;
      const found = createLast && last ? [] : this.find(s, step);
      s = found[0] ?? this.create(s, step);
    });
    return s;
  }

  set(scope: X12Scope, pathText: string, value: string): void {
    const p = path(pathText);
    if (p.parsed.element === null) throw new LayoutError(`${pathText}: a field's path needs an element (e.g. ${pathText}-01)`);
    const target = this.walk(scope, p, false);
    setElement(trigger(target.node as TreeNode), p.parsed.element, p.parsed.component, value);
  }

  append(scope: X12Scope, pathText: string, value: string): void {
    const p = path(pathText);
    const target = this.walk(scope, p, true);
    setElement(trigger(target.node as TreeNode), p.parsed.element!, p.parsed.component, value);
  }

  add(scope: X12Scope, loop: CompiledLoop, values: Array<[string, string]>): X12Scope {
    if (!loop.path) throw new LayoutError(`loops.${loop.full}: an X12 layout needs the loop's path`);
    const p = path(loop.path);
    let s = this.home(scope, p);
    p.parsed.steps.forEach((step, k) => {
      if (k === p.parsed.steps.length - 1) {
        s = this.create(s, step);
        return;
      }
      // An intermediate level is shared by the instances that agree on what they write into it.
      const wants = values
        .map(([t, v]) => [path(t).parsed, v] as const)
        .filter(([pp]) => pp.steps.length === 1 && pp.steps[0].segment === step.segment && pp.element !== null && pp.steps[0].filters.length === 0);
      const found = this.find(s, step).filter((c) => wants.every(([pp, v]) => text(trigger(c.node as TreeNode).elements[pp.element! - 1], pp.component) === v));
      s = found[0] ?? this.create(s, step);
    });
    return s;
  }

  where(scope: X12Scope): string {
    if ((scope.node as SetTree).control !== undefined && (scope.node as SetTree).id !== undefined && !isLoopNode(scope.node as TreeNode)) {
      return `set ${(scope.node as SetTree).id} ${(scope.node as SetTree).control}`;
    }
    const t = trigger(scope.node as TreeNode);
    return t.line !== undefined ? `line ${t.line} (${t.segment})` : `${t.segment} loop`;
  }

  // ---------------------------------------------------------------- totals and output

  /**
   * The segments a path names anywhere in the set: a bare segment id means every occurrence,
   * however deep (HL levels nest); otherwise the path's matches (a loop stands for its trigger).
   */
  private segments(tree: SetTree, p: ParsedPath): SegmentNode[] {
    if (p.steps.length === 1 && p.steps[0].filters.length === 0) {
      const out: SegmentNode[] = [];
      const walk = (nodes: TreeNode[]) => {
        for (const n of nodes) {
          if (isLoopNode(n)) walk(n.children);
          else if (n.segment === p.steps[0].segment) out.push(n);
        }
      };
      walk(tree.children);
      return out;
    }
    return selectAll(tree, { ...p, element: null, component: null }).map((m) => trigger(m.node));
  }

  /** count(PATH) or sum(PATH) over the whole set. */
  total(tree: SetTree, expression: string): string {
    const m = /^(count|sum)\((.+)\)$/.exec(expression)!;
    const p = path(m[2]).parsed;
    const values = this.segments(tree, p).map((n) => (p.element === null ? '' : text(n.elements[p.element - 1], p.component)));
    if (m[1] === 'count') return String(values.length);
    const sum = values.reduce((acc, x) => acc + (Number(x) || 0), 0);
    return String(Math.round(sum * 1000) / 1000);
  }

  /** Constants go into every segment the path matches anywhere in the set (qualifiers, codes); none is created. */
  applyConstants(tree: SetTree, constants: Record<string, string>): void {
    for (const [pathText, value] of Object.entries(constants)) {
      const p = path(pathText).parsed;
      for (const n of this.segments(tree, p)) setElement(n, p.element!, p.component, value);
    }
  }

  setTotal(tree: SetTree, pathText: string, value: string): void {
    this.set(this.rootScope(tree), pathText, value);
  }

  /** The body segments (ST and SE excluded) in order, HL01/HL02 numbered from the nesting. */
  static flatten(tree: SetTree): OutboundSegment[] {
    const out: OutboundSegment[] = [];
    let hl = 0;
    const walk = (nodes: TreeNode[], parentHl: string) => {
      for (const n of nodes) {
        if (isLoopNode(n)) {
          let inner = parentHl;
          if (n.loop === 'HL') {
            const t = n.children[0] as SegmentNode;
            inner = String(++hl);
            setElement(t, 1, null, inner);
            setElement(t, 2, null, parentHl);
          }
          walk(n.children, inner);
        } else if (n.segment !== 'ST' && n.segment !== 'SE') out.push({ id: n.segment, elements: n.elements.map((e) => e) });
      }
    };
    walk(tree.children, '');
    return out;
  }
}

function setElement(seg: SegmentNode, element: number, component: number | null, value: string): void {
  while (seg.elements.length < element) seg.elements.push('');
  if (component === null) {
    seg.elements[element - 1] = value;
    return;
  }
  const current = seg.elements[element - 1];
  const parts = Array.isArray(current) ? [...current] : typeof current === 'string' && current !== '' ? [current] : [];
  while (parts.length < component) parts.push('');
  parts[component - 1] = value;
  seg.elements[element - 1] = parts;
}
