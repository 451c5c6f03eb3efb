/**
 * The route modules the API serves under /api/v1, in one list: createApp mounts these and the
 * OpenAPI document is generated from the same list, so a module added here is both served and
 * documented.
 */
import type { RouteModule } from '../api.ts';
import { healthModule } from './health.ts';

export const routeModules: RouteModule[] = [healthModule];
