/**
 * Filter forms whose values live in the hash: each field's change replaces the hash (no history
 * entry per keystroke), and the page re-reads its filters from the hash. Select options come from
 * the API's own declarations (OpenAPI enums) or its lists (sellers, partners).
 */
import { api, declaredEnum } from './api.js';
import { h } from './dom.js';

let sellersAndPartners = null;
/** Seller and partner ids for the filter selects (asked once per page load). */
export async function sellerAndPartnerIds() {
  sellersAndPartners ??= Promise.allSettled([api.get('/sellers'), api.get('/partners')]).then(([s, p]) => ({
    sellers: s.status === 'fulfilled' ? s.value.items.map((x) => x.id) : [],
    partners: p.status === 'fulfilled' ? p.value.items.map((x) => x.id) : [],
  }));
  return sellersAndPartners;
}

/** Enum values of a list endpoint's query parameter, or [] when the document does not declare one. */
export const enumOf = (path, param) => declaredEnum(path, 'get', param);

/**
 * A labelled field: { name, label, type: 'select' | 'text', options?: string[], anyLabel? }.
 * Returns { el, input }.
 */
export function field({ name, label, type = 'select', options = [], anyLabel = 'any', value = '', placeholder }) {
  const id = `filter-${name}`;
  let input;
  if (type === 'select') {
    const values = [...new Set([...(value ? [value] : []), ...options])];
    input = h('select', { id, name }, h('option', { value: '' }, anyLabel), values.map((v) => h('option', { value: v, selected: v === value }, v)));
  } else {
    input = h('input', { id, name, type: 'search', value, placeholder, autocomplete: 'off', spellcheck: 'false' });
  }
  return { el: h('div', { class: 'field' }, h('label', { for: id }, label), input), input };
}

/**
 * A filter form: fields built from specs; onChange(values) when a select changes or a text field
 * is submitted (Enter) or left.
 */
export function filterForm(specs, values, onChange, { label = 'Filters' } = {}) {
  const fields = specs.map((s) => ({ spec: s, ...field({ ...s, value: values[s.name] ?? '' }) }));
  const read = () => Object.fromEntries(fields.map((f) => [f.spec.name, f.input.value.trim()]));
  const form = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': label,
      onsubmit(e) {
        e.preventDefault();
        onChange(read());
      },
    },
    fields.map((f) => f.el),
    h('div', { class: 'field actions' }, h('button', { type: 'submit', class: 'small' }, 'Apply'), h('button', { type: 'button', class: 'small link-button', onclick: () => { for (const f of fields) f.input.value = f.spec.reset ?? ''; onChange(read()); } }, 'Clear')),
  );
  for (const f of fields) {
    if (f.input.tagName === 'SELECT') f.input.addEventListener('change', () => onChange(read()));
    else f.input.addEventListener('change', () => onChange(read()));
  }
  return {
    form,
    /** Put values (from the hash) back into the fields without firing changes. */
    set(values) {
      for (const f of fields) {
        const v = values[f.spec.name] ?? '';
        if (f.input.tagName === 'SELECT' && v && ![...f.input.options].some((o) => o.value === v)) f.input.append(h('option', { value: v }, v));
        f.input.value = v;
      }
    },
    /** Replace a select's options (after the API's lists arrive). */
    options(name, values) {
      const f = fields.find((x) => x.spec.name === name);
      if (!f || f.input.tagName !== 'SELECT') return;
      const keep = f.input.value;
      const all = [...new Set([...values, ...(keep ? [keep] : [])])];
      f.input.replaceChildren(h('option', { value: '' }, f.spec.anyLabel ?? 'any'), ...all.map((v) => h('option', { value: v }, v)));
      f.input.value = keep;
    },
  };
}
