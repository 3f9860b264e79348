import express, { Router } from 'express';
import { LINE_SIGNATURE_HTTP_HEADER_NAME, validateSignature } from '@line/bot-sdk';
import { z } from 'zod';
import type { Logger } from '@omo/lib/core/logger';
import type { Outbox } from '@omo/lib/outbox/outbox';
import { headerValue } from '@omo/lib/server/http';

export const LINE_EVENT = 'line-event';

/** What is read of LINE's callback here; each event is queued whole, as LINE sent it, for the dispatcher. */
const callbackSchema = z.object({
  destination: z.string().optional(),
  events: z.array(z.looseObject({ webhookEventId: z.string().optional() })).optional(),
});

function parseCallback(body: Buffer): z.infer<typeof callbackSchema> | null {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  const parsed = callbackSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/**
 * POST /line/webhook. The signature is checked on the raw bytes before anything is parsed (401 otherwise). Each
 * event is written to the durable queue under its webhookEventId — LINE's redeliveries land on the same item —
 * and only then is LINE answered 200, so an event acknowledged is never lost, and a slow database costs LINE
 * nothing but the inserts. Processing happens after the answer (`kick`), or by the queue's worker.
 */
export function lineWebhookRoutes(deps: {
  channelSecret: string;
  outbox: Outbox;
  logger: Logger;
  kick?: (keys: string[]) => void;
}): Router {
  const router = Router();
  router.post('/line/webhook', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const signature = headerValue(req.headers[LINE_SIGNATURE_HTTP_HEADER_NAME]);
    if (!signature || !validateSignature(body, deps.channelSecret, signature)) {
      return void res.status(401).json({ message: 'invalid signature' });
    }
    const callback = parseCallback(body);
    if (!callback) return void res.status(400).json({ message: 'invalid JSON' });
    const keys: string[] = [];
    for (const event of callback.events ?? []) {
      if (!event.webhookEventId) continue;
      const key = `${LINE_EVENT}:${event.webhookEventId}`;
      await deps.outbox.enqueue(key, LINE_EVENT, { event: event, destination: callback.destination });
      keys.push(key);
    }
    res.status(200).json({});
    deps.kick?.(keys);
  });
  return router;
}
