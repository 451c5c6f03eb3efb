/**
 * The route modules the API serves under /api/v1, in one list: createApp mounts these and the
 * OpenAPI document is generated from the same list, so a module added here is both served and
 * documented.
 */
import type { RouteModule } from '../api.ts';
import { alertsRoutes } from './alerts.ts';
import { exceptionsRoutes } from './exceptions.ts';
import { fbaRoutes } from './fba.ts';
import { flowsRoutes } from './flows.ts';
import { healthMetricsRoutes } from './health-metrics.ts';
import { healthModule } from './health.ts';
import { messagesRoutes } from './messages.ts';
import { ordersRoutes } from './orders.ts';
import { partnersRoutes } from './partners.ts';
import { reconciliationRoutes } from './reconciliation.ts';
import { removalsRoutes } from './removals.ts';

export const routeModules: RouteModule[] = [
  healthModule,
  messagesRoutes,
  ordersRoutes,
  exceptionsRoutes,
  partnersRoutes,
  flowsRoutes,
  reconciliationRoutes,
  fbaRoutes,
  removalsRoutes,
  healthMetricsRoutes,
  alertsRoutes,
];
