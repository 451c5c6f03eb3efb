/** PLACEHOLDER (issue 12): the removals routes are being written. */
import type { RouteModule } from '../api.ts';

export const removalsRoutes: RouteModule = { name: 'removals', routes: [] };
