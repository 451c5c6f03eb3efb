/** PLACEHOLDER (issue 12): the fba-shipments routes are being written. */
import type { RouteModule } from '../api.ts';

export const fbaRoutes: RouteModule = { name: 'fba-shipments', routes: [] };
