import type { Caller } from '@omo/lib/core/auth';
import { claimOnce } from '@omo/lib/core/claims';
import { AppError } from '@omo/lib/core/errors';
import type { PurchaseDoc } from '../../models/purchase.model';
import { purchaseIdFor } from '../../services/idempotency';
import type { CustomerSync } from '../customers/customer-sync';
import type { BalanceMirror } from '../mirror/balance-mirror';
import type { SmaregiDeps } from '../deps';
import type { SmaregiTransaction } from '../smaregi-api';
import { RegisterRefunds } from './register-refunds';
import { smaregiTransactionModels, transactionKey, type SmaregiTransactionLinkDoc, type SmaregiTransactionModels } from './transaction-link.model';
import { kindOf, mapSale, SmaregiTransactionError } from './transaction-map';
import { outcomeOf, StillSettling, type TransactionOutcome } from './transaction-outcome';

/** The purchases and refunds a Smaregi register's transactions become are the connector's. */
const SMAREGI_CALLER: Caller = { kind: 'service', service: 'smaregi' };
/**
 * Outcomes after which our ledger has not moved for the transaction, whatever the register did to its point field.
 * Not DUPLICATE: the sale moved our ledger at its first event, and a second event soon after, points' mark of the
 * sale still on its way, would compare the field with the pre-sale mark and push the pre-sale balance back.
 */
const LEDGER_UNTOUCHED: ReadonlySet<TransactionOutcome['outcome']> = new Set(['IGNORED', 'EDITED_IGNORED', 'FAILED', 'UNMATCHED']);

/** The idempotency key of a transaction's purchase: every event about it, and every edit of it, names one purchase. */
export const saleIdempotencyKey = (contractId: string, transactionHeadId: string): string => `smaregi:${contractId}:${transactionHeadId}`;

/**
 * One Smaregi transaction carried out: read from Smaregi (never from the webhook's body), then recorded as a
 * purchase, refunded, or left alone, by what it is (transaction-map.ts). Safe to run again and in any order with
 * the transaction's other events: every write is keyed by the contract and Smaregi's ids.
 */
export class RegisterSales {
  private readonly tx: SmaregiTransactionModels;
  private readonly refunds: RegisterRefunds;

  constructor(
    private readonly deps: SmaregiDeps,
    private readonly customers: CustomerSync,
    private readonly mirror: BalanceMirror,
  ) {
    this.tx = smaregiTransactionModels(deps.connection);
    this.refunds = new RegisterRefunds(deps, this.tx, SMAREGI_CALLER);
  }

  /**
   * Throws what is worth retrying (Smaregi, members or points unreachable; points still settling). A transaction
   * with a customer that wrote nothing to our ledger (a point change at the register, an edit not applied, a sale
   * not recorded) may still have moved the customer's point field in Smaregi: the mirror's reconcile item
   * (`smaregi-reconcile:<contract>:<customer>`) sets it back to ours, after and apart from the outcome.
   */
  async carryOut(contractId: string, transactionHeadId: string, eventId: string): Promise<TransactionOutcome> {
    const tx = await this.deps.api.getTransaction(contractId, transactionHeadId);
    if (!tx) return outcomeOf('FAILED', `Smaregi has no transaction ${transactionHeadId}`);
    let outcome: TransactionOutcome;
    try {
      outcome = await this.decide(contractId, tx, eventId);
    } catch (error) {
      if (!(error instanceof SmaregiTransactionError) || !tx.customerId) throw error;
      outcome = outcomeOf('FAILED', error.message);
    }
    // the reconcile is its own outbox item, never part of the outcome: Smaregi refusing or down for it must not
    // turn a decided outcome (a DUPLICATE's or an EDITED_IGNORED's purchase) into FAILED, for staff to record again.
    // Armed before the outcome is written: a crash between leaves the entry to be decided again, arming it again
    if (tx.customerId && LEDGER_UNTOUCHED.has(outcome.outcome)) await this.mirror.armReconcile(contractId, tx.customerId);
    return outcome;
  }

  private async decide(contractId: string, tx: SmaregiTransaction, eventId: string): Promise<TransactionOutcome> {
    const transactionHeadId = tx.transactionHeadId;
    const kind = kindOf(tx);
    switch (kind.kind) {
      case 'not-a-sale':
        return outcomeOf('IGNORED', `not a sale (transactionHeadDivision ${kind.division})`);
      case 'voided':
        return this.refunds.voidSale(contractId, transactionHeadId, transactionHeadId);
      case 'undo':
        return this.refunds.voidSale(contractId, kind.originalId, transactionHeadId);
      case 'return':
        return this.refunds.applyReturn(contractId, transactionHeadId, await this.memberOf(contractId, kind.customerId), kind);
      case 'sale':
        return this.recordSale(contractId, tx, eventId);
    }
  }

  /**
   * A sale as a STORE purchase under `smaregi:<contractId>:<transactionHeadId>`, its points spent with the overdraft
   * allowed (the register has made the sale; docs/smaregi-setup.md §3). A later edit of the transaction asks for a
   * different purchase under the same key, which recordPurchase refuses: EDITED_IGNORED, the first one stands.
   *
   * Crash points: the link (store and purchase id) is inserted before the purchase (a crash between leaves a link
   * whose purchase a retry or a later event records under the same id, at the same store); the void is looked for
   * before and after recording, so a void carried out meanwhile refunds what was just recorded. The outcome waits
   * for the settlement (StillSettling while it is pending, never given up: the purchase exists), so the log shows
   * OVERDRAWN or a settlement that failed, not merely "recorded".
   */
  private async recordSale(contractId: string, tx: SmaregiTransaction, eventId: string): Promise<TransactionOutcome> {
    const id = tx.transactionHeadId;
    if (await this.refunds.isVoided(contractId, id)) return outcomeOf('IGNORED', `transaction ${id} was voided at the register before it was recorded`);
    const sale = mapSale(tx);
    const idempotencyKey = saleIdempotencyKey(contractId, id);
    // a transaction seen before stays at the store it was first recorded at, even if the mapping has changed since:
    // recorded again at another store, its key would name a second purchase
    const key = transactionKey(contractId, id);
    const seen = await this.tx.links.findById(key).lean<SmaregiTransactionLinkDoc>().exec();
    const claim = seen
      ? ({ won: false, existing: seen } as const)
      : await this.mappedStoreId(contractId, tx.storeId).then((storeId) =>
          claimOnce(this.tx.links, { _id: key, contractId, transactionHeadId: id, storeId, purchaseId: purchaseIdFor(storeId, idempotencyKey).toHexString(), createdAt: this.deps.clock(), eventId }),
        );
    const link = claim.won ? claim.doc : claim.existing;
    if (!link) throw new Error(`the link of transaction ${key} clashed on insert and is gone`);
    const { storeId, purchaseId } = link;
    const firstEvent = link.eventId === eventId;
    // a purchase recorded already keeps its member: the customer's member looked up again may have changed since (a
    // merge, a withdrawal), and asked under the same key with another member recordPurchase would take it for an edit
    const recorded = await this.deps.models.purchases.findById(purchaseId).lean<PurchaseDoc>().exec();
    const memberId = recorded ? (recorded.memberId ?? null) : await this.memberOf(contractId, sale.customerId);
    let purchase: PurchaseDoc;
    try {
      purchase = await this.deps.purchases.record(
        SMAREGI_CALLER,
        {
          idempotencyKey,
          storeId,
          memberId,
          externalId: sale.receipt,
          lines: sale.lines,
          discount: sale.discount,
          total: sale.total,
          pointsToRedeem: memberId ? sale.pointsToRedeem : 0,
          occurredAt: sale.occurredAt,
        },
        undefined,
        { overdraft: 'ALLOW', register: { system: 'SMAREGI', contractId, transactionHeadId: id, terminalId: sale.terminalId, terminalTranId: sale.terminalTranId } },
      );
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.extensions.code === 'SERVICE_UNAVAILABLE' && error.extensions.purchaseId) throw new StillSettling(purchaseId);
      if (error.extensions.code === 'BAD_USER_INPUT' && error.extensions.field === 'idempotencyKey') {
        return outcomeOf('EDITED_IGNORED', `transaction ${id} was edited after it was recorded: the edit is not applied`, purchaseId);
      }
      throw error;
    }
    if (await this.refunds.isVoided(contractId, id)) return this.refunds.refundInFull(purchase, `smaregi-void:${contractId}:${id}`);
    if (purchase.state === 'PENDING_POINTS') throw new StillSettling(purchaseId);
    if (purchase.state !== 'COMPLETED') return outcomeOf('FAILED', `its points could not be settled: ${purchase.rejectionReason ?? purchase.state}`, purchaseId);
    if (!firstEvent) return outcomeOf('DUPLICATE', `transaction ${id} was recorded by an earlier event`, purchaseId);
    const overdrawn = purchase.pointsOverdrawn ?? 0;
    if (overdrawn > 0) return { outcome: 'OVERDRAWN', reason: `the register spent ${overdrawn} points more than the member had: they are owed`, purchaseId, pointsOverdrawn: overdrawn };
    return outcomeOf('RECORDED', memberId ? null : 'a guest purchase (no Smaregi customer)', purchaseId);
  }

  /** Our store for a Smaregi storeId of the contract: mapped, existing and not online, else FAILED for staff. */
  private async mappedStoreId(contractId: string, smaregiStoreId: string): Promise<string> {
    const storeRef = this.deps.contracts.storeRefOf(contractId, smaregiStoreId);
    if (!storeRef) throw new SmaregiTransactionError(`Smaregi store ${smaregiStoreId} is not mapped to a store of ours (SMAREGI_CONTRACTS stores)`);
    const [store] = await this.deps.stores.resolveRefs([storeRef]).catch((error: unknown) => {
      throw error instanceof AppError ? new SmaregiTransactionError(`Smaregi store ${smaregiStoreId} is mapped to ${storeRef}: ${error.message}`) : error;
    });
    if (!store || store.kind === 'ONLINE') throw new SmaregiTransactionError(`Smaregi store ${smaregiStoreId} is mapped to ${storeRef}, an online store`);
    return store._id.toHexString();
  }

  /** The member a Smaregi customer is (the customer sync's: linked, else read from Smaregi and made a member). */
  private memberOf(contractId: string, customerId: string | null): Promise<string | null> {
    return customerId ? this.customers.memberForCustomer(contractId, customerId) : Promise.resolve(null);
  }
}
