/** PLACEHOLDER (issue 12): the fba-replenishment flow is being written; it exports what src/flows/index.ts wires. */
import type { CheckTask, SellerTask } from '../gateway/gateway.ts';
import type { DocumentRoute, ExceptionRetries, JobHandlers } from './context.ts';

export const sellerTasks: SellerTask[] = [];
export const checks: CheckTask[] = [];
export const handlers: JobHandlers = {};
export const retries: ExceptionRetries = {};
export const routes: DocumentRoute[] = [];
/** The route of the warehouse's 856 for an FBA shipment (inbound.ts routeFor). */
export const inboundAsnRoute: DocumentRoute | undefined = undefined;
