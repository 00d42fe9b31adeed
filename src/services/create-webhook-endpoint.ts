import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Sql } from '../db/client';
import { insertWebhookEndpoint, type WebhookEndpointRow } from '../db/webhook-endpoints';
import { OUTBOUND_EVENT_TYPES } from '../domain/outbound-events';
import { singleLine } from '../domain/input';
import { DomainError, ErrorCode } from '../domain/errors';
import { CONTROL_CHARACTERS_MESSAGE, isStorableText } from '../domain/text';
import { webhookTargetProblem } from './webhook-targets';

export const createWebhookEndpointSchema = z.strictObject({
  url: z
    .string()
    .max(2000)
    .refine((u) => isStorableText(u), CONTROL_CHARACTERS_MESSAGE)
    .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })),
  /** Subscribed event types. @default every type */
  events: z
    .array(z.enum(OUTBOUND_EVENT_TYPES, { error: `must be one of ${OUTBOUND_EVENT_TYPES.join(', ')}` }))
    .min(1, 'subscribe to at least one event type')
    .optional(),
  description: singleLine(500).optional(),
});

/**
 * Registers an endpoint for outbound events with a fresh signing secret (`whsec_` + 32 random
 * bytes, base64). It receives events recorded from now on.
 */
export async function createWebhookEndpoint(
  sql: Sql,
  input: z.output<typeof createWebhookEndpointSchema>,
  actor: string,
  o: { allowPrivateTargets?: boolean } = {},
): Promise<WebhookEndpointRow> {
  const problem = o.allowPrivateTargets ? null : webhookTargetProblem(input.url);
  if (problem) {
    throw new DomainError(
      ErrorCode.WEBHOOK_TARGET_NOT_ALLOWED,
      `${problem}; webhooks go to public addresses unless WEBHOOK_ALLOW_PRIVATE_TARGETS=true`,
      { field: 'url' },
    );
  }
  return insertWebhookEndpoint(
    sql,
    {
      id: randomUUID(),
      url: input.url,
      secret: `whsec_${randomBytes(32).toString('base64')}`,
      events: [...new Set(input.events ?? OUTBOUND_EVENT_TYPES)],
      description: input.description ?? null,
    },
    actor,
  );
}
