/**
 * One message: its raw text (X12 one segment per line with its index; CSV / XML by line) beside
 * its parsed tree (collapsible), the failing segments marked in both with a class and the words
 * "⚠ error", and a selection shared by the two: picking a segment in one selects the same
 * segment (same index, same tag) in the other. Then its diagnostics, acknowledgement, status
 * history, the rows under it and the orders it carried.
 *
 * Segment numbering: the raw view's index is the API's (1-based within the file); the tree's
 * segments are numbered in document order (ISA, service segments, GS, the set's segments with
 * their loops, GE, IEA), which is file order, so the two agree. A node that carries its own
 * index (segmentIndex) keeps it.
 */
import { dl, fill, h, timeEl } from '../dom.js';
import { hashOf, messageHref, orderHref } from '../route.js';
import { axisBadge, DIRECTION_TEXT, orderLinks } from './messages.js';

const ERROR_MARK = '⚠ error';

function elementText(e) {
  if (typeof e === 'string') return e;
  if (Array.isArray(e)) return e.join(':');
  if (e && Array.isArray(e.repeats)) return e.repeats.map((r) => (Array.isArray(r) ? r.join(':') : r)).join('^');
  return String(e ?? '');
}

const isLoop = (n) => n && typeof n === 'object' && typeof n.loop === 'string' && Array.isArray(n.children);
const isSegment = (n) => n && typeof n === 'object' && typeof n.segment === 'string' && Array.isArray(n.elements);

/** The selection both panes share; the nodes are found by data-index (X12) or data-line (text). */
class Selection {
  constructor(panes, onSelect) {
    this.panes = panes;
    this.onSelect = onSelect;
    this.key = null;
  }

  /**
   * One tab stop per pane (the selected segment, else the first): a file of thousands of
   * segments is not thousands of Tab presses. Arrow keys, Home and End move within a pane.
   */
  attachKeys() {
    for (const pane of this.panes) {
      const segs = () => [...pane.querySelectorAll('button.seg')];
      const all = segs();
      all.forEach((b, i) => b.setAttribute('tabindex', i === 0 ? '0' : '-1'));
      pane.addEventListener('keydown', (e) => {
        const list = segs();
        const at = list.indexOf(document.activeElement);
        if (at < 0) return;
        const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: list.length - 1, PageDown: at + 20, PageUp: at - 20 }[e.key];
        if (to === undefined) return;
        e.preventDefault();
        const b = list[Math.max(0, Math.min(list.length - 1, to))];
        b.focus();
        b.click();
      });
    }
  }

  select(attr, value, { from = null, scroll = true } = {}) {
    for (const pane of this.panes) {
      for (const old of pane.querySelectorAll('.selected')) {
        old.classList.remove('selected');
        old.removeAttribute('aria-current');
      }
      const el = pane.querySelector(`[${attr}="${value}"]`);
      if (!el) continue;
      for (const t of pane.querySelectorAll('button.seg[tabindex="0"]')) t.setAttribute('tabindex', '-1');
      el.setAttribute('tabindex', '0');
      el.classList.add('selected');
      el.setAttribute('aria-current', 'true');
      for (let d = el.parentElement?.closest('details'); d; d = d.parentElement?.closest('details')) d.open = true;
      if (scroll && pane !== from) el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    }
    this.key = `${attr}=${value}`;
    this.onSelect?.(attr, value);
  }
}

function segmentButton({ index, tag, text, failing, line }, select) {
  const b = h(
    'button',
    { type: 'button', class: ['seg', failing ? 'failing' : ''], 'data-index': String(index), 'data-tag': tag, 'aria-label': `segment ${index} ${tag}${failing ? ', has an error' : ''}`, title: line ? `line ${line}` : null },
    h('span', { class: 'seg-index' }, String(index)),
    h('span', { class: 'seg-text' }, h('span', { class: 'seg-tag' }, tag), text.slice(tag.length)),
    failing ? h('span', { class: 'seg-mark' }, ERROR_MARK) : null,
  );
  b.addEventListener('click', () => select(index, b));
  return b;
}

function rawPane(raw, failing, selection) {
  const box = h('div', { class: 'pane-body raw', tabindex: '-1' });
  if (raw.text === null || raw.text === undefined) {
    fill(box, h('p', { class: 'redacted-note' }, raw.redacted ? `[redacted] ${raw.withheld ?? 'This file holds buyer personal data; this token may not see it.'}` : (raw.withheld ?? 'No text for this message.')));
    return box;
  }
  if (raw.segments?.length) {
    const list = h('ol', { class: 'segments' });
    for (const s of raw.segments) {
      list.append(h('li', {}, segmentButton({ index: s.index, tag: s.tag, text: s.text, failing: failing.has(s.index), line: s.line }, (i, b) => selection.select('data-index', i, { from: box }))));
    }
    fill(box, list);
  } else {
    const lines = raw.text.split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    const list = h('ol', { class: 'segments lines' });
    lines.forEach((text, i) => {
      const n = i + 1;
      const bad = failing.has(n);
      const b = h('button', { type: 'button', class: ['seg', bad ? 'failing' : ''], 'data-line': String(n), 'aria-label': `line ${n}${bad ? ', has an error' : ''}` }, h('span', { class: 'seg-index' }, String(n)), h('span', { class: 'seg-text' }, text), bad ? h('span', { class: 'seg-mark' }, ERROR_MARK) : null);
      b.addEventListener('click', () => selection.select('data-line', n, { from: box }));
      list.append(h('li', {}, b));
    });
    fill(box, list);
  }
  if (raw.truncated) box.append(h('p', { class: 'muted' }, 'Shown up to 2 MB; the rest is in the blob store (dockgate messages show).'));
  return box;
}

/** The X12 JSON form as nested <details>, segments numbered in document order. */
function x12Tree(doc, failing, select) {
  let n = 0;
  const seg = (node) => {
    const index = node.segmentIndex ?? node.index ?? ++n;
    if (node.segmentIndex ?? node.index) n = index;
    const text = [node.segment, ...node.elements.map(elementText)].join('*');
    return h('li', {}, segmentButton({ index, tag: node.segment, text, failing: failing.has(index), line: node.line }, select));
  };
  const nodes = (list) => h('ul', { class: 'tree' }, list.map((c) => (isLoop(c) ? loop(c) : isSegment(c) ? seg(c) : null)));
  const loop = (l) => {
    const label = `${l.loop} loop${l.loopId ? ` ${l.loopId}` : ''}${l.level ? ` level ${l.level}` : ''}${l.hlId ? ` #${l.hlId}` : ''}`;
    return h('li', {}, h('details', { open: true }, h('summary', {}, label), nodes(l.children)));
  };
  const out = h('ul', { class: 'tree root' });
  (doc.interchanges ?? []).forEach((ic, i) => {
    const groups = [];
    const isa = ic.ISA ? seg(ic.ISA) : null;
    const service = (ic.service ?? []).map(seg);
    for (const g of ic.groups ?? []) {
      const gs = g.GS ? seg(g.GS) : null;
      const sets = (g.sets ?? []).map((s) => h('li', {}, h('details', { open: true }, h('summary', {}, `Set ${s.id} ${s.control}${s.version ? ` (${s.version})` : ''}${s.structured === false ? ' — unstructured' : ''}`), nodes(s.children ?? []))));
      const ge = g.GE ? seg(g.GE) : null;
      groups.push(h('li', {}, h('details', { open: true }, h('summary', {}, `Group ${elementText(g.GS?.elements?.[0] ?? '')} ${elementText(g.GS?.elements?.[5] ?? '')}`.trim()), h('ul', { class: 'tree' }, gs, sets, ge))));
    }
    const iea = ic.IEA ? seg(ic.IEA) : null;
    out.append(h('li', {}, h('details', { open: true }, h('summary', {}, `Interchange ${i + 1} ${elementText(ic.ISA?.elements?.[12] ?? '')}`.trim()), h('ul', { class: 'tree' }, isa, service, groups, iea))));
  });
  return out;
}

/** Any other parsed form (the canonical documents of a CSV / XML file): a collapsible JSON tree. */
function jsonTree(value, key = null, depth = 0, showLine = null) {
  const label = key === null ? '' : `${key}: `;
  // "where": "lines 2-9" of a translated document: a button that selects its first line in the raw view.
  const line = key === 'where' && typeof value === 'string' ? /\blines? (\d+)/.exec(value)?.[1] : undefined;
  if (line && showLine) return h('li', {}, h('span', { class: 'json-key' }, label), h('button', { type: 'button', class: 'small link-button', 'data-line-ref': line, onclick: () => showLine(Number(line)) }, value));
  if (value === null || typeof value !== 'object') return h('li', {}, h('span', { class: 'json-key' }, label), h('span', { class: 'json-value' }, JSON.stringify(value)));
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const summary = `${label}${Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`}`;
  return h('li', {}, h('details', { open: depth < 3 }, h('summary', {}, summary), h('ul', { class: 'tree' }, entries.map(([k, v]) => jsonTree(v, k, depth + 1, showLine)))));
}

function parsedPane(parsed, failing, selection) {
  const box = h('div', { class: 'pane-body parsed', tabindex: '-1' });
  const tree = parsed.tree;
  if (tree && Array.isArray(tree.interchanges)) fill(box, x12Tree(tree, failing, (i) => selection.select('data-index', i, { from: box })));
  else if (tree === null || tree === undefined) fill(box, h('p', { class: 'muted' }, 'No parsed form for this message.'));
  else fill(box, h('ul', { class: 'tree root' }, jsonTree(tree, null, 0, (n) => selection.select('data-line', n, { from: box }))));
  return box;
}

export async function render(root, route, app) {
  const id = route.parts[0];
  const [detail, raw, parsed] = await Promise.allSettled([app.api.get(`/messages/${encodeURIComponent(id)}`), app.api.get(`/messages/${encodeURIComponent(id)}/raw`), app.api.get(`/messages/${encodeURIComponent(id)}/parsed`)]);
  if (detail.status === 'rejected') {
    fill(root, h('h1', {}, `Message #${id}`), app.errorBox(detail.reason), h('p', {}, h('a', { href: '#/messages' }, 'Back to the messages')));
    return {};
  }
  const d = detail.value;
  const m = d.message;
  const isX12 = raw.status === 'fulfilled' && raw.value.segments?.length;
  const failing = new Set(parsed.status === 'fulfilled' ? (parsed.value.failingSegments ?? []) : []);
  // CSV / XML diagnostics point at lines: those lines are the failing ones there.
  if (!isX12 && parsed.status === 'fulfilled') for (const dg of parsed.value.diagnostics ?? []) if (dg.level === 'error' && dg.line) failing.add(dg.line);

  const rawBox = h('div', { class: 'pane-body' });
  const parsedBox = h('div', { class: 'pane-body' });
  const selectionText = h('p', { class: 'muted selection', 'aria-live': 'polite' });
  const selection = new Selection([], (attr, value) => {
    const el = root.querySelector(`.raw [${attr}="${value}"]`) ?? root.querySelector(`[${attr}="${value}"]`);
    selectionText.textContent = `Selected ${attr === 'data-index' ? 'segment' : 'line'} ${value}${el?.dataset.tag ? ` (${el.dataset.tag})` : ''}${el?.classList.contains('failing') ? ` — ${ERROR_MARK}` : ''}`;
    const params = { seg: attr === 'data-index' ? value : undefined, line: attr === 'data-line' ? value : undefined };
    history.replaceState(null, '', hashOf(['messages', String(id)], params));
  });

  if (raw.status === 'fulfilled') fill(rawBox, rawPane(raw.value, failing, selection));
  else fill(rawBox, app.errorBox(raw.reason));
  if (parsed.status === 'fulfilled') fill(parsedBox, parsedPane(parsed.value, failing, selection));
  else fill(parsedBox, app.errorBox(parsed.reason));
  selection.panes = [rawBox, parsedBox];
  selection.attachKeys();

  const redacted = (raw.status === 'fulfilled' && raw.value.redacted) || (parsed.status === 'fulfilled' && parsed.value.redacted);
  const diagnostics = parsed.status === 'fulfilled' ? (parsed.value.diagnostics ?? []) : [];
  const ack = d.acknowledgement;
  const orders = d.orders ?? [];

  const diagRow = (dg) => {
    const target = dg.segmentIndex ? ['data-index', dg.segmentIndex, `segment ${dg.segmentIndex}`] : dg.line ? [isX12 ? 'data-line-x' : 'data-line', dg.line, `line ${dg.line}`] : null;
    return h(
      'tr',
      { class: dg.level === 'error' ? 'diag-error' : '' },
      h('td', {}, h('span', { class: ['badge', dg.level === 'error' ? 'status-critical' : dg.level === 'warning' ? 'status-warn' : 'status-unknown'] }, dg.level === 'error' ? '✖ error' : dg.level === 'warning' ? '▲ warning' : dg.level)),
      h('td', {}, h('code', {}, dg.code)),
      h('td', {}, dg.message),
      h('td', {}, target && target[0] !== 'data-line-x' ? h('button', { type: 'button', class: 'small link-button', onclick: () => selection.select(target[0], target[1]) }, `Show ${target[2]}${dg.segment ? ` (${dg.segment})` : ''}`) : dg.segment ?? '—'),
    );
  };

  fill(
    root,
    h('p', { class: 'crumbs' }, h('a', { href: '#/messages' }, 'Messages'), ' › ', `#${m.id}`),
    h('div', { class: 'page-head' }, h('h1', {}, `Message #${m.id}`, m.fileName ? [' · ', h('code', {}, m.fileName)] : null), redacted ? h('p', { class: 'badge redacted' }, '[redacted] buyer data hidden for this token') : null),
    dl([
      ['Direction', DIRECTION_TEXT[m.direction] ?? m.direction],
      ['Flow', m.flow],
      ['Partner', m.partner],
      ['Seller', m.seller],
      ['Kind', m.kind],
      ['Control', m.control],
      ['Status', h('span', { class: 'badge' }, m.status)],
      ['Validation', axisBadge(m.validation)],
      ['Delivery', axisBadge(m.delivery)],
      ['Acknowledgement', [axisBadge(m.acknowledgement), m.ackDueAt ? [' due ', timeEl(m.ackDueAt)] : null]],
      ['When', timeEl(m.receivedAt ?? m.createdAt)],
      ['Orders', orders.length ? h('span', {}, orders.map((o, i) => [i ? ', ' : '', h('a', { href: orderHref(o.seller, o.orderId) }, o.orderId)])) : orderLinks(m.orderIds, m.seller)],
    ]),
    h(
      'div',
      { class: 'panes' },
      h('section', { class: 'pane', 'aria-labelledby': 'raw-title' }, h('h2', { id: 'raw-title' }, 'Raw', raw.status === 'fulfilled' ? h('span', { class: 'muted' }, ` ${raw.value.format}${raw.value.encoding ? `, ${raw.value.encoding}` : ''}`) : null), rawBox),
      h('section', { class: 'pane', 'aria-labelledby': 'parsed-title' }, h('h2', { id: 'parsed-title' }, 'Parsed'), parsedBox),
    ),
    h('p', { class: 'muted pane-help' }, 'Pick a segment in either view to select it in both: Tab into a view, then the arrow keys, Home and End move through its segments.'),
    selectionText,
    h(
      'section',
      { 'aria-labelledby': 'diag-title' },
      h('h2', { id: 'diag-title' }, `Diagnostics (${diagnostics.length})`),
      diagnostics.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'diagnostics' }, h('thead', {}, h('tr', {}, ['Level', 'Code', 'Message', 'Where'].map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, diagnostics.map(diagRow)))) : h('p', { class: 'muted' }, 'None: the file passed validation.'),
    ),
    h(
      'section',
      { 'aria-labelledby': 'ack-title' },
      h('h2', { id: 'ack-title' }, 'Acknowledgement'),
      ack
        ? [
            dl([
              ['State', axisBadge(ack.state)],
              ['At', ack.at ? timeEl(ack.at) : null],
              ['Acknowledged by', ack.ackMessageId ? h('a', { href: messageHref(ack.ackMessageId) }, `message #${ack.ackMessageId}`) : null],
            ]),
            ack.reasons?.length ? h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, ['Set', 'Segment', 'Position', 'Element', 'Code', 'Reason'].map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, ack.reasons.map((r) => h('tr', {}, h('td', {}, r.set ?? 'group'), h('td', {}, r.segment ?? '—'), h('td', {}, r.position ?? '—'), h('td', {}, r.element ?? '—'), h('td', {}, h('code', {}, r.code ?? '')), h('td', {}, r.text ?? '')))))) : null,
          ]
        : h('p', { class: 'muted' }, 'None expected or none yet.'),
    ),
    h(
      'section',
      { 'aria-labelledby': 'history-title' },
      h('h2', { id: 'history-title' }, 'Status history'),
      h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, ['When', 'Row', 'What', 'Detail'].map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, (d.events ?? []).map((e) => h('tr', {}, h('td', {}, timeEl(e.at)), h('td', {}, e.messageId && e.messageId !== m.id ? `${e.kind} #${e.messageId}` : e.kind ?? 'file'), h('td', {}, e.what), h('td', {}, e.detail ?? '')))))),
    ),
    d.children?.length
      ? h(
          'section',
          { 'aria-labelledby': 'children-title' },
          h('h2', { id: 'children-title' }, 'Inside this file'),
          h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, ['Row', 'Kind', 'Type', 'Control', 'Status', 'Acknowledgement'].map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, d.children.map((c) => h('tr', {}, h('td', {}, `#${c.id}`), h('td', {}, c.kind ?? ''), h('td', {}, c.docType ?? '—'), h('td', {}, c.control ?? '—'), h('td', {}, h('span', { class: 'badge' }, c.status)), h('td', {}, axisBadge(c.acknowledgement))))))),
        )
      : null,
  );

  const initial = () => {
    const seg = route.params.get('seg') ?? null;
    const line = route.params.get('line') ?? null;
    if (seg) selection.select('data-index', seg, { scroll: true });
    else if (line) selection.select('data-line', line, { scroll: true });
    else if (failing.size) selection.select(isX12 ? 'data-index' : 'data-line', Math.min(...failing), { scroll: true });
  };
  initial();
  root.dataset.loaded = 'true';

  return {
    update(r) {
      route = r;
      initial();
    },
  };
}
