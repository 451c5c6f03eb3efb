/**
 * The business counters (orders by state, packages confirmed with their tracking lag,
 * quantities Amazon accepted, exceptions opened) counted where the flows record them: a view
 * of the store whose repositories count what is written through them. Everything else passes
 * through to the store as it is.
 *
 * Inside `transaction(fn)` the counts wait for the commit: a transaction rolled back counted
 * nothing. Only the calls named here are wrapped; reads are untouched.
 */
import type { GatewayStore, Work } from '../store/work.ts';
import type { GatewayMetrics } from './registry.ts';

type Pending = Array<() => void>;

/** The repository with some methods replaced; the others run on the repository itself. */
function override<T extends object>(repo: T, replaced: Partial<T>): T {
  return new Proxy(repo, {
    get(target, prop) {
      if (Object.hasOwn(replaced, prop)) return replaced[prop as keyof T];
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function instrumentWork(w: Work, metrics: GatewayMetrics, defer: (f: () => void) => void): Work {
  const orders = override(w.orders, {
    put: async (order) => {
      await w.orders.put(order);
      defer(() => metrics.orders.inc({ seller: order.seller, state: order.state }));
    },
  });
  const packages = override(w.packages, {
    setState: async (id, state, now, confirmedAt) => {
      await w.packages.setState(id, state, now, confirmedAt);
      if (state !== 'confirmed') return;
      const p = await w.packages.get(id);
      if (!p) return;
      defer(() => {
        metrics.packagesConfirmed.inc({ seller: p.seller });
        const lag = p.lagSeconds ?? (p.confirmedAt ? (Date.parse(p.confirmedAt) - Date.parse(p.shippedAt)) / 1000 : null);
        if (lag !== null && lag >= 0) metrics.trackingUploadLag.observe({ seller: p.seller }, lag);
      });
    },
  });
  const inventory = override(w.inventory, {
    accepted: async (seller, sku, quantity, now) => {
      await w.inventory.accepted(seller, sku, quantity, now);
      defer(() => metrics.quantitiesPublished.inc({ seller, outcome: 'accepted' }));
    },
  });
  const exceptions = override(w.exceptions, {
    raise: async (x) => {
      const record = await w.exceptions.raise(x);
      // A bump of an open cause is the same exception: only a new one is counted.
      if (record.count === 1) defer(() => metrics.exceptionsRaised.inc({ kind: record.kind, severity: record.severity }));
      return record;
    },
  });
  return { ...w, orders, packages, inventory, exceptions };
}

/** The store as the flows see it in a gateway with metrics. */
export function instrumentStore(store: GatewayStore, metrics: GatewayMetrics): GatewayStore {
  const work = instrumentWork(store.work, metrics, (f) => f());
  const transaction: GatewayStore['transaction'] = async (fn) => {
    const pending: Pending = [];
    const result = await store.transaction((w) => fn(instrumentWork(w, metrics, (f) => pending.push(f))));
    for (const f of pending) f();
    return result;
  };
  // Methods run on the store itself (its private fields are not on the proxy).
  return override(store, { work, transaction } as Partial<GatewayStore>);
}
