/**
 * The alerts over HTTP: what fired, what is still firing and what cleared and why, newest
 * first. The alerts themselves are made by the checks cycle (src/alerts); this only reads.
 *
 * Alerts carry no buyer personal data (the rules write ids, states and times only), so no
 * redaction applies here.
 */
import { z } from 'zod';
import { ALERT_RULES } from '../../config/config.ts';
import { ALERT_STATES, EXCEPTION_SEVERITIES } from '../../store/work.ts';
import { defineRoute, type RouteModule } from '../api.ts';

export const ALERTS_LIMIT = { default: 100, max: 1000 } as const;

const Iso = z.string().describe('ISO 8601 UTC time');

export const AlertSchema = z
  .object({
    id: z.number().int().positive(),
    rule: z.enum(ALERT_RULES),
    key: z.string().describe('The cause within the rule: a message id, package id, seller/orderId, partner/seller, exception id, seller or partner'),
    seller: z.string().nullable(),
    partner: z.string().nullable(),
    severity: z.enum(EXCEPTION_SEVERITIES),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
    state: z.enum(ALERT_STATES),
    firedAt: Iso,
    lastSeen: Iso.describe('The last check that still found the cause'),
    clearedAt: Iso.nullable(),
    clearedBecause: z.string().nullable().describe('Why it cleared: "acknowledged (accepted) at ...", "confirmed to Amazon at ...", "assigned to ..."'),
  })
  .strict();

const AlertList = z.object({ items: z.array(AlertSchema) }).strict();

const ListQuery = z
  .object({
    state: z.enum(ALERT_STATES).optional(),
    rule: z.enum(ALERT_RULES).optional(),
    limit: z
      .string()
      .regex(/^\d{1,4}$/, `a whole number from 1 to ${ALERTS_LIMIT.max}`)
      .transform(Number)
      .pipe(z.number().int().min(1).max(ALERTS_LIMIT.max))
      .optional()
      .describe(`Default ${ALERTS_LIMIT.default}, at most ${ALERTS_LIMIT.max}`),
  })
  .strict();

export const alertsRoutes: RouteModule = {
  name: 'alerts',
  schemas: { Alert: AlertSchema },
  routes: [
    defineRoute({
      method: 'get',
      path: '/alerts',
      operationId: 'listAlerts',
      summary: 'Alerts fired and cleared, newest first',
      description: 'Each alert is one cause of one rule: fired once when the cause is found, cleared once (with the reason) when it is gone.',
      tags: ['alerts'],
      query: ListQuery,
      responses: { 200: { description: 'The newest alerts matching the filter', schema: AlertList } },
      handler: async ({ query, deps }) => {
        const items = await deps.ctx.store.work.alerts.list({ state: query.state, rule: query.rule, limit: query.limit ?? ALERTS_LIMIT.default });
        return { json: { items } };
      },
    }),
  ],
};
