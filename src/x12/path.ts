/**
 * Paths into the X12 loop tree (docs/x12-paths.md). Parsed once into plain data; evaluation
 * walks the tree, never a regex.
 *
 *   path     := step ( '/' step )*
 *   step     := SEGID filter* ( '-' NN ( '-' NN )? ( '#' N )? )?     element part on the last step only
 *   filter   := '[' NN '=' value ( '|' value )* ']'  |  '[' N ']'
 *
 *   W05-02             element 02 of the first W05
 *   N1[01=ST]/N3-01    N3-01 inside the N1 loop whose N1-01 is ST
 *   HL[03=P]/MAN-02    MAN-02 inside an HL level whose HL03 is P
 *   LX[2]/W01-05       the second LX loop
 *   N9[01=LV|BM]-02    alternatives
 *   C040 components:   REF-04-02
 *   repetitions:       N1-04#2
 */
import { isLoopNode, type ElementValue, type LoopNode, type SegmentNode, type SetTree, type TreeNode } from './tree.ts';

export interface PathFilter {
  /** Element position tested (1-based), or null for an occurrence index. */
  element: number | null;
  values: string[];
  /** 1-based occurrence for `[n]`. */
  index: number | null;
}

export interface PathStep {
  segment: string;
  filters: PathFilter[];
}

export interface ParsedPath {
  text: string;
  steps: PathStep[];
  /** Element position on the last step (1-based), or null for the segment / loop itself. */
  element: number | null;
  component: number | null;
  repetition: number | null;
}

export class PathSyntaxError extends Error {
  constructor(
    readonly path: string,
    readonly column: number,
    readonly expected: string,
  ) {
    super(`invalid path '${path}' at column ${column}: expected ${expected}`);
    this.name = 'PathSyntaxError';
  }
}

export function parsePath(text: string): ParsedPath {
  let i = 0;
  const fail = (expected: string): never => {
    throw new PathSyntaxError(text, i + 1, expected);
  };
  const number = (min: number, max: number, what: string): number => {
    const start = i;
    while (i < text.length && text[i] >= '0' && text[i] <= '9') i++;
    if (i - start < min || i - start > max) {
      i = start;
      fail(what);
    }
    return Number(text.slice(start, i));
  };
  const steps: PathStep[] = [];
  let element: number | null = null;
  let component: number | null = null;
  let repetition: number | null = null;
  for (;;) {
    const start = i;
    while (i < text.length && /[A-Z0-9]/.test(text[i])) i++;
    if (i - start < 2 || i - start > 3) {
      i = start;
      fail('a segment id (2-3 upper-case letters or digits)');
    }
    const step: PathStep = { segment: text.slice(start, i), filters: [] };
    while (text[i] === '[') {
      i++;
      const n = number(1, 6, 'an element position (01) or an occurrence number');
      if (text[i] === '=') {
        i++;
        const values: string[] = [];
        let value = '';
        while (i < text.length && text[i] !== ']') {
          if (text[i] === '|') {
            values.push(value);
            value = '';
          } else value += text[i];
          i++;
        }
        values.push(value);
        if (text[i] !== ']') fail("']'");
        if (values.some((v) => v === '')) fail('a value after = (and after each |)');
        step.filters.push({ element: n, values, index: null });
      } else {
        if (n < 1) fail('an occurrence of 1 or more');
        step.filters.push({ element: null, values: [], index: n });
      }
      if (text[i] !== ']') fail("']'");
      i++;
    }
    steps.push(step);
    if (text[i] === '/') {
      i++;
      continue;
    }
    if (text[i] === '-') {
      i++;
      const at = i;
      element = number(2, 2, 'a two-digit element position');
      if (element < 1) {
        i = at;
        fail('an element position of 01 or more');
      }
      if (text[i] === '-') {
        i++;
        const at2 = i;
        component = number(2, 2, 'a two-digit component position');
        if (component < 1) {
          i = at2;
          fail('a component position of 01 or more');
        }
      }
      if (text[i] === '#') {
        i++;
        repetition = number(1, 4, 'a repetition number');
        if (repetition < 1) fail('a repetition of 1 or more');
      }
    }
    if (i !== text.length) fail(text[i] === '/' ? 'no element part before /' : "'/', '-', '[' or the end of the path");
    return { text, steps, element, component, repetition };
  }
}

export function formatPath(p: ParsedPath): string {
  const steps = p.steps
    .map((s) => s.segment + s.filters.map((f) => (f.index !== null ? `[${f.index}]` : `[${String(f.element).padStart(2, '0')}=${f.values.join('|')}]`)).join(''))
    .join('/');
  let out = steps;
  if (p.element !== null) out += `-${String(p.element).padStart(2, '0')}`;
  if (p.component !== null) out += `-${String(p.component).padStart(2, '0')}`;
  if (p.repetition !== null) out += `#${p.repetition}`;
  return out;
}

/** Text of element n of a segment node ('' present but empty; undefined absent), first repetition / whole composite joined. */
function elementOf(node: SegmentNode, n: number, component: number | null, repetition: number | null): string | undefined {
  const v: ElementValue | undefined = node.elements[n - 1];
  if (v === undefined) return undefined;
  let one: string | string[];
  if (typeof v === 'object' && !Array.isArray(v)) {
    const r = v.repeats[(repetition ?? 1) - 1];
    if (r === undefined) return undefined;
    one = r;
  } else {
    if (repetition !== null && repetition > 1) return undefined;
    one = v;
  }
  if (component !== null) {
    if (typeof one === 'string') return component === 1 ? one : undefined;
    return one[component - 1];
  }
  return typeof one === 'string' ? one : one[0];
}

function triggerOf(n: TreeNode): SegmentNode {
  return isLoopNode(n) ? (n.children[0] as SegmentNode) : n;
}

function idOf(n: TreeNode): string {
  return isLoopNode(n) ? n.loop : n.segment;
}

function passes(n: TreeNode, filters: PathFilter[]): boolean {
  const trigger = triggerOf(n);
  return filters.every((f) => f.element === null || f.values.includes(elementOf(trigger, f.element, null, null) ?? '\u0000'));
}

/** Candidates for a step: the scope's own children first; if none match, nested loops depth-first. */
function stepMatches(scope: TreeNode[], step: PathStep, skipFirst: boolean): TreeNode[] {
  const own = scope.filter((n, i) => !(skipFirst && i === 0) && idOf(n) === step.segment && passes(n, step.filters));
  let found = own;
  if (found.length === 0) {
    found = [];
    const dive = (nodes: TreeNode[], skip: boolean) => {
      nodes.forEach((n, i) => {
        if (skip && i === 0) return;
        if (!isLoopNode(n)) return;
        const inner = n.children.filter((c, k) => k > 0 && idOf(c) === step.segment && passes(c, step.filters));
        if (inner.length > 0) found.push(...inner);
        else dive(n.children, true);
      });
    };
    dive(scope, skipFirst);
  }
  const index = step.filters.find((f) => f.index !== null)?.index;
  if (index != null) return found[index - 1] ? [found[index - 1]] : [];
  return found;
}

export interface PathMatch {
  node: TreeNode;
  /** The addressed value when the path has an element part ('' present but empty). */
  value: string | undefined;
}

/** Every match of a path in a set tree or loop, in document order. */
export function selectAll(root: SetTree | LoopNode, path: ParsedPath): PathMatch[] {
  // A step that names a loop scopes the next step to that loop's children (skipping its trigger).
  let scopes: Array<{ nodes: TreeNode[]; skipFirst: boolean }> = [{ nodes: root.children, skipFirst: false }];
  let matches: TreeNode[] = [];
  path.steps.forEach((step, k) => {
    matches = scopes.flatMap((s) => stepMatches(s.nodes, step, s.skipFirst));
    if (k < path.steps.length - 1) scopes = matches.filter(isLoopNode).map((m) => ({ nodes: m.children, skipFirst: true }));
  });
  return matches.map((node) => ({
    node,
    value: path.element === null ? undefined : elementOf(triggerOf(node), path.element, path.component, path.repetition),
  }));
}

export function selectFirst(root: SetTree | LoopNode, path: ParsedPath): PathMatch | undefined {
  return selectAll(root, path)[0];
}

/** The value a path addresses: undefined when absent, '' when present but empty. */
export function getValue(root: SetTree | LoopNode, path: ParsedPath | string): string | undefined {
  const p = typeof path === 'string' ? parsePath(path) : path;
  for (const m of selectAll(root, p)) if (m.value !== undefined) return m.value;
  return undefined;
}
