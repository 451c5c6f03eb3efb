/**
 * Building the page from data without ever parsing server text as HTML: every string goes in
 * as a text node or an attribute value (the CSP forbids inline scripts and style attributes,
 * and escaping by construction means a SKU or file name can never become markup).
 */

/** Attributes that would let data run or restyle the page: never set from here. */
const REFUSED = new Set(['style', 'innerHTML', 'outerHTML', 'srcdoc']);

/**
 * h('a', { href: '#/x', class: 'link', onclick: fn }, 'text', child, [more]) -> element.
 * Children: strings / numbers (text nodes), nodes, arrays, null / undefined / false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (REFUSED.has(name)) throw new Error(`h(): attribute ${name} is not set from data`);
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'value' && 'value' in el) el.value = String(value);
    else if (name === 'checked' || name === 'selected' || name === 'disabled' || name === 'required' || name === 'hidden' || name === 'open') el[name] = Boolean(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replace an element's content in one step (no empty frame in between). */
export function fill(el, ...children) {
  const frag = document.createDocumentFragment();
  append(frag, children);
  el.replaceChildren(frag);
  return el;
}

// ------------------------------------------------------------------ formatting

const pad = (n) => String(n).padStart(2, '0');

/** "2026-11-02 12:00:03 UTC": the gateway's times are UTC, and so is what the logs say. */
export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** "3 h 20 min", "45 s", "2 d 4 h": two units at most. */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  const neg = seconds < 0;
  let s = Math.abs(Math.round(seconds));
  const units = [
    ['d', 86400],
    ['h', 3600],
    ['min', 60],
    ['s', 1],
  ];
  const parts = [];
  for (const [name, size] of units) {
    if (s >= size || (name === 's' && parts.length === 0)) {
      const n = Math.floor(s / size);
      s -= n * size;
      parts.push(`${n} ${name}`);
    }
    if (parts.length === 2) break;
  }
  return (neg ? '-' : '') + parts.join(' ');
}

/** A <time> element: the exact UTC time, with how long ago in its title. */
export function timeEl(iso, { relative = false } = {}) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const ago = (Date.now() - Date.parse(iso)) / 1000;
  const rel = ago >= 0 ? `${formatDuration(ago)} ago` : `in ${formatDuration(-ago)}`;
  return h('time', { datetime: iso, title: relative ? formatTime(iso) : rel }, relative ? rel : formatTime(iso));
}

export function formatNumber(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** A metric's value in its unit: seconds as a duration, ratios as a percentage. */
export function formatMetric(value, unit) {
  if (value === null || value === undefined) return { value: '—', unit: '' };
  switch (unit) {
    case 'seconds':
      return { value: formatDuration(value), unit: '' };
    case 'ratio':
      return { value: formatNumber(value * 100, 1), unit: '%' };
    case 'percent':
      return { value: formatNumber(value, 1), unit: '%' };
    case 'count':
      return { value: formatNumber(value, 0), unit: '' };
    case 'per-minute':
      return { value: formatNumber(value, 2), unit: '/min' };
    default:
      return { value: formatNumber(value, 2), unit: unit ?? '' };
  }
}

/** A definition list from [label, value] pairs; null values are left out. */
export function dl(pairs, cls) {
  return h(
    'dl',
    { class: cls ?? 'facts' },
    pairs.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  );
}

/** A table with column headers (th scope=col); rows are arrays of cells (nodes or text). */
export function table({ caption, columns, rows, cls, empty = 'Nothing to show.' }) {
  const body = h('tbody', {});
  if (rows.length === 0) body.append(h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, empty)));
  for (const r of rows) body.append(r instanceof Node ? r : h('tr', {}, r.map((c) => h('td', {}, c))));
  return h(
    'div',
    { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    h('table', { class: cls }, caption ? h('caption', { class: 'visually-hidden' }, caption) : null, h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))), body),
  );
}

/** A status badge: colour from the class, meaning from the text (never colour alone). */
const STATUS_TEXT = {
  ok: '✓ OK',
  warn: '▲ Warning',
  critical: '✖ Critical',
  unknown: '? Unknown',
};
export function statusBadge(status, text) {
  return h('span', { class: ['badge', `status-${status}`] }, text ?? STATUS_TEXT[status] ?? String(status));
}

/** Amazon order ids look like 123-1234567-1234567: refs that are order ids link to the order view. */
export const ORDER_ID = /^\d{3}-\d{7}-\d{7}$/;
