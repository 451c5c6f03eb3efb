/**
 * The overview: the seven health metrics (value, unit, status in colour and words, threshold,
 * history chart), the open exceptions, partner connections and the scheduled flows with "run
 * now". Refreshed in place every 15 s: cards and rows are kept by key and only their text and
 * chart data change, so nothing flickers and focus stays where it was.
 */
import { ApiFailure } from '../api.js';
import { MetricChart } from '../chart.js';
import { dl, fill, formatDuration, formatMetric, formatNumber, h, statusBadge, timeEl } from '../dom.js';
import { hashOf } from '../route.js';

function thresholdText(t, unit) {
  if (!t) return 'No threshold';
  const f = (v) => {
    const m = formatMetric(v, unit);
    return `${m.value}${m.unit ? ` ${m.unit}` : ''}`;
  };
  const word = t.direction === 'below' ? 'below' : 'above';
  const parts = [];
  if (t.warn !== null && t.warn !== undefined) parts.push(`warn ${word} ${f(t.warn)}`);
  if (t.critical !== null && t.critical !== undefined) parts.push(`critical ${word} ${f(t.critical)}`);
  return parts.length ? `Threshold: ${parts.join(' · ')}` : 'No threshold';
}

class MetricCard {
  constructor(metric) {
    const id = `metric-${metric.name}`;
    this.title = h('h3', { id: `${id}-title` });
    this.value = h('span', { class: 'metric-value' });
    this.unit = h('span', { class: 'metric-unit' });
    this.status = h('span', { class: 'metric-status' });
    this.threshold = h('p', { class: 'threshold' });
    this.description = h('p', { class: 'description' });
    this.chartBox = h('div', { class: 'chart' });
    this.scopesBody = h('tbody', {});
    this.scopesCount = h('span', {});
    this.scopes = h(
      'details',
      { class: 'scopes', hidden: true },
      h('summary', {}, 'By scope (', this.scopesCount, ')'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'compact' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Scope'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Status'))), this.scopesBody)),
    );
    this.el = h(
      'article',
      { class: 'card metric', 'data-metric': metric.name, 'aria-labelledby': `${id}-title` },
      this.title,
      h('p', { class: 'metric-figure' }, this.value, ' ', this.unit),
      h('p', {}, this.status),
      this.threshold,
      this.chartBox,
      this.description,
      this.scopes,
    );
    this.chart = new MetricChart(this.chartBox, { title: metric.title, unit: metric.unit });
  }

  update(m) {
    this.title.textContent = m.title;
    const f = formatMetric(m.value, m.unit);
    this.value.textContent = f.value;
    this.unit.textContent = f.unit;
    this.el.dataset.status = m.status;
    fill(this.status, statusBadge(m.status));
    this.threshold.textContent = thresholdText(m.threshold, m.unit);
    this.description.textContent = m.description ?? '';
    this.chart.title = m.title;
    this.chart.update(m.series ?? [], m.threshold);
    const scopes = m.scopes ?? [];
    this.scopes.hidden = scopes.length === 0;
    this.scopesCount.textContent = String(scopes.length);
    fill(
      this.scopesBody,
      scopes.map((s) => {
        const v = formatMetric(s.value, m.unit);
        return h('tr', {}, h('th', { scope: 'row' }, s.scope), h('td', {}, `${v.value}${v.unit ? ` ${v.unit}` : ''}`), h('td', {}, statusBadge(s.status)));
      }),
    );
  }

  dispose() {
    this.chart.dispose();
  }
}

function countsText(counts) {
  const parts = Object.entries(counts ?? {})
    .filter(([, n]) => n)
    .map(([k, n]) => `${k} ${formatNumber(n)}`);
  return parts.length ? parts.join(', ') : 'nothing to do';
}

const OUTCOME_TEXT = { ran: '✓ ran', 'skipped-overlap': '↷ skipped (still running)', 'skipped-locked': '↷ skipped (another gateway holds it)', failed: '✖ failed' };

export async function render(root, _route, app) {
  const updated = h('p', { class: 'muted updated' }, 'Loading…');
  const cards = h('div', { class: 'cards' });
  const backlog = h('div', { class: 'backlog' });
  const partnersBody = h('tbody', {});
  const flowsBody = h('tbody', {});
  const flowsNote = h('p', { class: 'muted' });
  const errors = h('div', {});
  const byName = new Map();
  let refreshes = 0;
  const flowRows = new Map();

  fill(
    root,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Overview'),
      updated,
      h('button', { type: 'button', class: 'small link-button', 'data-action': 'refresh', onclick: () => refresh().catch((e) => fill(errors, app.errorBox(e))) }, 'Refresh now'),
    ),
    errors,
    h('section', { 'aria-labelledby': 'health-title' }, h('h2', { id: 'health-title' }, 'Health'), cards),
    h(
      'div',
      { class: 'columns' },
      h('section', { 'aria-labelledby': 'backlog-title', class: 'panel' }, h('h2', { id: 'backlog-title' }, 'Open exceptions'), backlog),
      h(
        'section',
        { 'aria-labelledby': 'partners-title', class: 'panel' },
        h('h2', { id: 'partners-title' }, 'Partner connections'),
        h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Partner connections' }, h('table', {}, h('thead', {}, h('tr', {}, ['Partner', 'Transport', 'Last good connection', 'Last error', 'Open exceptions'].map((c) => h('th', { scope: 'col' }, c)))), partnersBody)),
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'flows-title', class: 'panel' },
      h('h2', { id: 'flows-title' }, 'Flows'),
      flowsNote,
      h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Flows' }, h('table', {}, h('thead', {}, h('tr', {}, ['Task', 'Schedule', 'Last run', 'Outcome', 'Next run', app.canWrite ? 'Action' : null].filter(Boolean).map((c) => h('th', { scope: 'col' }, c)))), flowsBody)),
    ),
  );

  async function runNow(name, button) {
    button.disabled = true;
    app.announce(`Running ${name}…`);
    try {
      const s = await app.api.post(`/flows/${encodeURIComponent(name)}/run`);
      app.announce(`${name}: ${OUTCOME_TEXT[s.lastRun?.outcome] ?? 'started'}${s.lastRun ? ` — ${countsText(s.lastRun.counts)}` : ''}`);
      await refresh();
    } catch (e) {
      app.announce(`${name} did not run: ${e.message}`);
    } finally {
      button.disabled = false;
    }
  }

  function flowRow(task) {
    let row = flowRows.get(task.name);
    if (!row) {
      const cells = { name: h('th', { scope: 'row' }, h('code', {}, task.name)), schedule: h('td', {}), last: h('td', {}), outcome: h('td', {}), next: h('td', {}) };
      const button = app.canWrite ? h('button', { type: 'button', class: 'small', 'data-task': task.name }, 'Run now') : null;
      if (button) button.addEventListener('click', () => runNow(task.name, button));
      const tr = h('tr', { 'data-task': task.name }, cells.name, cells.schedule, cells.last, cells.outcome, cells.next, button ? h('td', {}, button) : null);
      row = { tr, cells, button };
      flowRows.set(task.name, row);
    }
    const r = task.lastRun;
    row.cells.schedule.textContent = task.schedule;
    fill(row.cells.last, r ? timeEl(r.finishedAt ?? r.startedAt) : h('span', { class: 'muted' }, 'not run yet'));
    fill(row.cells.outcome, task.running ? h('span', { class: 'badge status-warn' }, '⟳ running') : r ? h('span', { class: ['badge', r.outcome === 'failed' ? 'status-critical' : r.outcome === 'ran' ? 'status-ok' : 'status-unknown'] }, OUTCOME_TEXT[r.outcome] ?? r.outcome) : '—', r ? h('span', { class: 'muted counts' }, ` ${countsText(r.counts)}${r.failed ? `, ${r.failed} failed` : ''}`) : null, r?.error ? h('span', { class: 'error-text' }, ` ${r.error}`) : null);
    fill(row.cells.next, task.nextRunAt ? timeEl(task.nextRunAt) : h('span', { class: 'muted' }, '—'));
    if (row.button) row.button.disabled = task.running;
    return row.tr;
  }

  async function refresh() {
    const [metrics, partners, flows, open] = await Promise.allSettled([
      app.api.get('/health-metrics'),
      app.api.get('/partners'),
      app.api.get('/flows'),
      app.api.get('/exceptions', { state: 'unresolved', limit: 1000 }),
    ]);
    const problems = [];
    if (metrics.status === 'fulfilled') {
      const seen = new Set();
      for (const m of metrics.value.metrics) {
        seen.add(m.name);
        let card = byName.get(m.name);
        if (!card) {
          card = new MetricCard(m);
          byName.set(m.name, card);
          cards.append(card.el);
        }
        card.update(m);
      }
      for (const [name, card] of byName) {
        if (!seen.has(name)) {
          card.dispose();
          card.el.remove();
          byName.delete(name);
        }
      }
    } else problems.push(['Health metrics', metrics.reason]);

    if (open.status === 'fulfilled') {
      const items = open.value.items;
      const oldest = items.reduce((a, x) => (a === null || x.firstSeen < a ? x.firstSeen : a), null);
      const kinds = new Map();
      for (const x of items) kinds.set(x.kind, (kinds.get(x.kind) ?? 0) + 1);
      fill(
        backlog,
        h('p', { class: 'metric-figure' }, h('span', { class: 'metric-value', 'data-testid': 'open-exceptions' }, `${formatNumber(items.length)}${open.value.next ? '+' : ''}`), ' ', h('span', { class: 'metric-unit' }, 'not resolved')),
        dl([
          ['Oldest', oldest ? [formatDuration((Date.now() - Date.parse(oldest)) / 1000), ' (', timeEl(oldest), ')'] : 'none open'],
          ['Unowned', formatNumber(items.filter((x) => !x.owner).length)],
        ]),
        kinds.size ? h('ul', { class: 'kinds' }, [...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => h('li', {}, h('a', { href: hashOf(['exceptions'], { state: 'unresolved', kind: k }) }, k), ` ${n}`))) : null,
        h('p', {}, h('a', { href: hashOf(['exceptions'], { state: 'unresolved' }) }, 'Open the exception queue')),
      );
    } else problems.push(['Exceptions', open.reason]);

    if (partners.status === 'fulfilled') {
      fill(
        partnersBody,
        partners.value.items.length === 0 ? h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No partners configured.')) : null,
        partners.value.items.map((p) => {
          const c = p.connection;
          const failing = c?.lastErrorAt && (!c.lastOkAt || c.lastErrorAt > c.lastOkAt);
          return h(
            'tr',
            { 'data-partner': p.id },
            h('th', { scope: 'row' }, p.name && p.name !== p.id ? `${p.name} (${p.id})` : p.id),
            h('td', { class: 'transport' }, p.transport?.describe ?? p.transport?.type ?? '—', h('span', { class: 'muted' }, ` · ${p.format}`)),
            h('td', {}, c?.lastOkAt ? timeEl(c.lastOkAt) : h('span', { class: 'muted' }, 'no connection yet'), ' ', failing ? statusBadge('critical', '✖ failing') : c?.lastOkAt ? statusBadge('ok', '✓ connected') : statusBadge('unknown')),
            h('td', {}, c?.lastErrorAt ? [timeEl(c.lastErrorAt), ' ', h('span', { class: 'error-text' }, c.lastError ?? '')] : h('span', { class: 'muted' }, 'none')),
            h('td', {}, p.openExceptions ? h('a', { href: hashOf(['exceptions'], { state: 'unresolved', partner: p.id }) }, formatNumber(p.openExceptions)) : '0'),
          );
        }),
      );
    } else problems.push(['Partners', partners.reason]);

    if (flows.status === 'fulfilled') {
      flowsNote.textContent = flows.value.running ? '' : 'No gateway runs in this process (dockgate serve): the last runs the gateway recorded; "run now" needs dockgate start.';
      const rows = flows.value.items.map(flowRow);
      const names = new Set(flows.value.items.map((t) => t.name));
      for (const name of [...flowRows.keys()]) if (!names.has(name)) flowRows.delete(name);
      // Rows already in place stay in place (keeps focus on a "Run now" button).
      rows.forEach((tr, i) => {
        if (flowsBody.children[i] !== tr) flowsBody.insertBefore(tr, flowsBody.children[i] ?? null);
      });
      while (flowsBody.children.length > rows.length) flowsBody.lastElementChild.remove();
      if (rows.length === 0) flowsBody.append(h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No scheduled tasks.')));
    } else problems.push(['Flows', flows.reason]);

    fill(
      errors,
      problems.map(([what, e]) => h('p', { class: 'error', role: 'alert' }, `${what}: ${e instanceof ApiFailure ? e.message : String(e?.message ?? e)}`)),
    );
    refreshes++;
    updated.dataset.refreshes = String(refreshes);
    updated.textContent = `Updated ${new Date().toISOString().slice(11, 19)} UTC · refreshes every 15 s`;
    root.dataset.loaded = 'true';
  }

  await refresh();
  return {
    refresh,
    dispose() {
      for (const c of byName.values()) c.dispose();
    },
  };
}
