/**
 * The registry of the gateway's flows: what the schedule runs, the routes received documents
 * go to, the handler of each outbox job kind, and the retry of each exception kind
 * (`dockgate exceptions retry`). One place to see everything the gateway does.
 */
import type { FlowRegistry } from '../gateway/gateway.ts';
import type { ExceptionKind } from '../store/work.ts';
import * as acknowledgements from './acknowledgements.ts';
import * as alerts from './alerts.ts';
import * as fba from './fba-replenishment.ts';
import * as fbaShipped from './fba-shipped.ts';
import type { DocumentRoute, ExceptionRetries, ExceptionRetry, JobHandlers } from './context.ts';
import * as health from './health-sampling.ts';
import * as inbound from './inbound.ts';
import * as inventory from './inventory-to-amazon.ts';
import * as orders from './orders-to-warehouse.ts';
import * as outbox from './outbox-delivery.ts';
import * as reconciliation from './reconciliation.ts';
import * as removals from './removals.ts';
import * as shipments from './shipment-to-amazon.ts';

/** Each received document kind to the one route that takes it. */
export const documentRoutes: DocumentRoute[] = [shipments.shipmentAdviceRoute, inventory.inventoryRoute, ...fba.routes, ...removals.routes];

/** The handler of each outbox job kind. */
export const jobHandlers: JobHandlers = { ...outbox.handlers, ...shipments.handlers, ...inventory.handlers, ...alerts.handlers, ...fba.handlers, ...fbaShipped.handlers, ...removals.handlers, ...reconciliation.handlers };

/**
 * Several flows may retry the same kind (a mapping-problem of an order, of an advice): each is
 * run, and their lines joined, so no flow's held work is forgotten by another's retry.
 */
export function mergeRetries(...all: ExceptionRetries[]): ExceptionRetries {
  const merged: ExceptionRetries = {};
  for (const retries of all) {
    for (const [kind, retry] of Object.entries(retries) as Array<[ExceptionKind, ExceptionRetry]>) {
      const earlier = merged[kind];
      // A retry with nothing to say for this exception (none of its refs are its kind of work) returns ''.
      merged[kind] = earlier ? async (ctx, x) => [await earlier(ctx, x), await retry(ctx, x)].filter((line) => line !== '').join('; ') : retry;
    }
  }
  return merged;
}

export const exceptionRetries: ExceptionRetries = mergeRetries(orders.retries, acknowledgements.retries, inbound.retries, shipments.retries, inventory.retries, outbox.retries, alerts.retries, fba.retries, fbaShipped.retries, removals.retries, reconciliation.retries);

/** What `dockgate start` runs. */
export const flows: FlowRegistry = {
  pollOrders: orders.pollOrders,
  pollPartnerFiles: inbound.pollPartnerFiles,
  checkNotPickedUp: acknowledgements.checkNotPickedUp,
  checkOverdue: acknowledgements.checkOverdue,
  checkLateOrders: orders.checkLateOrders,
  checkInventoryFreshness: inventory.checkInventoryFreshness,
  refreshChannels: inventory.refreshChannels,
  checkAlerts: alerts.checkAlerts,
  sampleHealth: health.sampleHealth,
  jobHandlers,
  exceptionRetries,
  sellerTasks: [...fba.sellerTasks, ...removals.sellerTasks, ...reconciliation.sellerTasks],
  checks: [...fba.checks, ...fbaShipped.checks, ...removals.checks, ...reconciliation.checks],
};
