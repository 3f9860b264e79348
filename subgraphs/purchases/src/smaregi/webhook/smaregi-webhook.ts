import express, { Router, type Request } from 'express';
import { RetryLater, type OutboxHandler, type OutboxItemDoc } from '@omo/lib/outbox/outbox';
import type { BalanceMirror } from '../mirror/balance-mirror';
import type { CustomerSync } from '../customers/customer-sync';
import type { SmaregiDeps } from '../deps';
import { GIVE_UP_MS, isRetryable } from '../../services/retryable';
import { SmaregiRefusedError, SmaregiUnavailableError } from '../smaregi-api';
import { RegisterSales } from '../transactions/register-sales';
import { SmaregiTransactionError } from '../transactions/transaction-map';
import { StillSettling } from '../transactions/transaction-outcome';
import type { SmaregiEventLogDoc } from './event-log.model';
import { SmaregiEventLog, type LogResult } from './event-log';
import { CUSTOMERS_EVENT, eventItemKey, secretMatches, TRANSACTIONS_EVENT, webhookBodySchema, webhookHeadersSchema, type SmaregiEventPayload } from './webhook-request';

export const SMAREGI_WEBHOOK_PATH = '/webhooks/smaregi';
const EVENT_ITEM = 'smaregiEvent';
/**
 * One attempt stops taking entries after this long and the next attempt carries on: an attempt runs under a 30 s
 * outbox lease, and an event of many transactions (a bulk edit) paced under Smaregi's rate limit would outlast it.
 * A budget cannot bound a single slow call, so a worker may still take the event over mid-entry: every entry is
 * safe to run twice at the same time (each write keyed by Smaregi's ids, each final outcome a unique insert).
 */
const ATTEMPT_BUDGET_MS = 15_000;

/**
 * Webhooks in (docs/smaregi-setup.md §2): POST /webhooks/smaregi authenticated by the app's secret header and a
 * configured contract id, the event recorded and deduped by its smaregi-event-id (its outbox item, a unique insert)
 * before the 200, then carried out from the purchases outbox: pos:transactions become purchases and refunds
 * (transactions/), pos:customers go to the customer sync. Smaregi may not retry, may deliver twice and does not
 * order its events, so the 200 only says the event is stored, and everything it leads to is keyed by Smaregi's
 * own ids and read back from the API.
 */
export class SmaregiWebhooks {
  readonly log: SmaregiEventLog;
  private readonly sales: RegisterSales;

  constructor(
    private readonly deps: SmaregiDeps,
    private readonly customers: CustomerSync,
    private readonly mirror: BalanceMirror,
  ) {
    this.log = new SmaregiEventLog(deps.connection, deps.clock);
    this.sales = new RegisterSales(deps, customers, mirror);
  }

  routes(): Router {
    const router = Router();
    // read raw: the headers decide what is accepted before the body is parsed
    router.post(SMAREGI_WEBHOOK_PATH, express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
      if (!this.deps.contracts.enabled) return void res.status(404).json({ error: 'Not found' });
      const contractId = header(req, 'smaregi-contract-id');
      const secretOk = secretMatches(header(req, this.deps.config.SMAREGI_WEBHOOK_SECRET_HEADER.toLowerCase()), this.deps.config.SMAREGI_WEBHOOK_SECRET);
      if (!secretOk || !contractId || !this.deps.contracts.get(contractId)) {
        // one answer for both, so the route does not tell which contracts exist
        this.deps.logger.warn({ webhook: 'smaregi', contractId, reason: secretOk ? 'unknown contract' : 'wrong secret' }, 'Smaregi webhook refused');
        return void res.status(401).json({ error: 'Unauthorized' });
      }
      const headers = webhookHeadersSchema.safeParse({ 'smaregi-contract-id': contractId, 'smaregi-event-id': header(req, 'smaregi-event-id'), 'smaregi-event': header(req, 'smaregi-event') });
      const json = parseJson(req.body);
      const body = webhookBodySchema.safeParse(json);
      if (!headers.success || !body.success) {
        const issue = (headers.error ?? body.error)?.issues[0];
        const reason = `Invalid webhook: ${issue ? `${issue.path.join('.')} ${issue.message}` : 'not JSON'}`;
        // authenticated, so Smaregi's: what it is about is kept FAILED for staff, not lost with the 400
        this.deps.logger.error({ webhook: 'smaregi', contractId, reason }, 'Smaregi webhook could not be read');
        try {
          await this.log.unreadable(contractId, header(req, 'smaregi-event-id') ?? null, json, reason);
        } catch (error) {
          this.deps.logger.error({ err: error, contractId }, 'an unreadable Smaregi webhook could not be logged');
        }
        return void res.status(400).json({ error: reason });
      }
      if (body.data.contractId !== contractId) {
        this.deps.logger.warn({ webhook: 'smaregi', contractId, bodyContractId: body.data.contractId }, 'Smaregi webhook refused: its body names another contract');
        return void res.status(401).json({ error: 'Unauthorized' });
      }
      const event: SmaregiEventPayload = {
        contractId,
        eventId: headers.data['smaregi-event-id'],
        event: body.data.event,
        action: body.data.action ?? null,
        transactionHeadIds: body.data.transactionHeadIds ?? [],
        customerIds: body.data.customerIds ?? [],
        receivedAt: this.deps.clock().toISOString(),
      };
      const key = eventItemKey(contractId, event.eventId);
      try {
        const stored = await this.deps.outbox().enqueue(key, EVENT_ITEM, event);
        res.status(200).json({ outcome: stored ? 'accepted' : 'duplicate' });
        // at once, after the answer: Smaregi waits for nobody; the outbox's worker retries what fails
        if (stored) void this.deps.outbox().process(key).catch((error: unknown) => this.deps.logger.error({ err: error, key }, 'Smaregi event failed; the outbox retries it'));
      } catch (error) {
        this.deps.logger.error({ err: error, key }, 'Smaregi webhook could not be stored');
        res.status(503).json({ error: 'Unavailable' });
      }
    });
    return router;
  }

  handlers(): Record<string, OutboxHandler> {
    return { [EVENT_ITEM]: (payload, item) => this.carryOut(payload as SmaregiEventPayload, item) };
  }

  /**
   * Every entry of the event not final yet, in turn: one that fails for a reason worth retrying (Smaregi, members
   * or points unreachable) keeps the event's item retrying after the others have been carried out, and after 24
   * hours ends FAILED; one whose purchase is stored and settling waits on its settlement, never given up; one that
   * can never succeed ends FAILED at once, with its reason. Smaregi throttling (429) or down stops the attempt at
   * once: the next one comes after its Retry-After, rather than every other entry's GET being refused too.
   */
  private async carryOut(event: SmaregiEventPayload, item: OutboxItemDoc): Promise<{ entries: number }> {
    const entries = await this.log.entriesOf(event);
    const started = this.deps.clock().getTime();
    const waiting: string[] = [];
    for (const entry of entries.filter((e) => e.outcome === 'RECEIVED')) {
      if (this.deps.clock().getTime() - started >= ATTEMPT_BUDGET_MS) throw new RetryLater('carrying on with the rest of the event', { afterMs: 0 });
      let result: LogResult;
      try {
        result = await this.carryOutEntry(event, entry);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (error instanceof StillSettling) {
          waiting.push(`${entry._id}: ${reason}`);
          await this.log.write(entry._id, { outcome: 'RECEIVED', reason, purchaseId: error.purchaseId });
          continue;
        }
        if (isFinal(error)) result = { outcome: 'FAILED', reason };
        else if (this.deps.clock().getTime() - item.createdAt.getTime() >= GIVE_UP_MS) result = { outcome: 'FAILED', reason: `not carried out within 24 hours: ${reason}` };
        else {
          await this.log.write(entry._id, { outcome: 'RECEIVED', reason: `waiting: ${reason}` });
          if (error instanceof SmaregiUnavailableError) throw new RetryLater(reason, error.retryAfterMs === null ? {} : { afterMs: error.retryAfterMs });
          waiting.push(`${entry._id}: ${reason}`);
          continue;
        }
      }
      const written = await this.log.write(entry._id, result);
      if (written.outcome === 'FAILED' || written.outcome === 'UNMATCHED') this.deps.logger.error({ entry: entry._id, ...written }, 'Smaregi event needs staff');
    }
    if (waiting.length) throw new RetryLater(waiting.join('; '));
    return { entries: entries.length };
  }

  private async carryOutEntry(event: SmaregiEventPayload, entry: SmaregiEventLogDoc): Promise<LogResult> {
    if (entry.transactionHeadId) return this.sales.carryOut(event.contractId, entry.transactionHeadId, event.eventId);
    if (event.event === CUSTOMERS_EVENT) {
      await this.customers.applyCustomers(event.contractId, entry.customerIds);
      return { outcome: 'CUSTOMERS_APPLIED', reason: null };
    }
    return { outcome: 'IGNORED', reason: event.event === TRANSACTIONS_EVENT ? 'no transactionHeadIds' : `event ${event.event} is not one the connector reads` };
  }
}

/** What retrying cannot change: the transaction as Smaregi has it, Smaregi refusing us, or our own services refusing it. */
function isFinal(error: unknown): boolean {
  return error instanceof SmaregiTransactionError || error instanceof SmaregiRefusedError || !isRetryable(error);
}

function parseJson(body: unknown): unknown {
  if (!Buffer.isBuffer(body)) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first?.trim() || undefined;
}
