import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { ParsedRequestOf, ReplyOf } from '@omo/lib/contracts/contract';
import type { purchasesContract } from '@omo/lib/contracts/purchases';
import { claimOnce } from '@omo/lib/core/claims';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import { AppError } from '@omo/lib/core/errors';
import { ServiceUnavailableError } from '@omo/lib/server/internal-api';
import { isRetryable } from '../../services/retryable';
import type { SmaregiDeps } from '../deps';
import type { BalanceMirror } from '../mirror/balance-mirror';
import { SmaregiRefusedError, SmaregiUnavailableError, type NewSmaregiCustomer, type SmaregiCustomer } from '../smaregi-api';
import { customerLinkId, type SmaregiCustomerLinkDoc } from './customer-link.model';

type MemberRoute = typeof purchasesContract.routes.smaregiMember;

/** Smaregi requires a given name; a member known by one name only gets this one, which staff may change there. */
const NO_FIRST_NAME = '-';
/** What a contract that requires kana (会員必須項目設定) takes for kana we do not have, as Smaregi's own apps send. */
const NO_KANA = '@';
/** Smaregi's 会員状態区分 of a customer who left (退会): the member stays ours, with their points. */
const LEFT = '3';

/**
 * Members both ways. A customer made or edited at a register becomes / updates a member (members'
 * upsertRegisterCustomer decides which) and is linked in smaregi_customers; a member registered elsewhere gets a
 * customer record in each contract that creates customers. Every link is an insert of `<contractId>:<customerId>`
 * (unique `(contractId, memberId)` too), so a lost race finds the winner's link; after a link the balance mirror
 * is asked to put our balance on the customer. Crash points:
 * - after creating a customer in Smaregi, before its link: the member's item runs again (members' outbox) and finds
 *   the customer by its customerCode (the member code) instead of creating a second one.
 * - after a link, before the mirror's sync: a run syncs a link that has no mark yet, so the caller's retry (its
 *   outbox) syncs it; memberForCustomer, which finds a link and returns, is followed by its sale's own
 *   balance change, which the mirror pushes anyway.
 */
export class CustomerSync {
  constructor(
    private readonly deps: SmaregiDeps,
    private readonly mirror: BalanceMirror,
  ) {}

  /**
   * The member a sale's customer is (linked, else fetched from Smaregi and upserted now); null for no customer, one
   * Smaregi no longer has, or a withdrawn member's (their sale earns nothing). A link is read through members'
   * current: the member may have been withdrawn since (null) or merged (the survivor).
   */
  async memberForCustomer(contractId: string, customerId: string): Promise<string | null> {
    if (!customerId) return null;
    const link = await this.deps.links.findById(customerLinkId(contractId, customerId)).lean<SmaregiCustomerLinkDoc>().exec();
    if (link) {
      const now = await this.deps.members.current(link.memberId);
      return now.status === 'WITHDRAWN' ? null : now.memberId;
    }
    const customer = await this.smaregi(() => this.deps.api.getCustomer(contractId, customerId));
    if (!customer) {
      this.deps.logger.warn({ contractId, customerId }, 'Smaregi has no such customer; the sale is recorded without a member');
      return null;
    }
    const { memberId, outcome } = await this.upsert(contractId, customer);
    return outcome === 'withdrawn' ? null : memberId;
  }

  /** pos:customers (created, edited, bulk-update): each customer read from Smaregi and upserted as a member. */
  async applyCustomers(contractId: string, customerIds: string[]): Promise<void> {
    for (const customerId of customerIds) {
      try {
        // Smaregi unavailable is thrown as it is, its retryAfterMs kept: the event's attempt stops at a 429 and
        // comes again after its Retry-After (smaregi-webhook.ts), rather than every other id's GET being refused too
        const customer = await this.smaregi(() => this.deps.api.getCustomer(contractId, customerId), { keepUnavailable: true });
        if (!customer) {
          this.deps.logger.info({ contractId, customerId }, 'Smaregi customer gone before it was read; skipped');
          continue;
        }
        await this.upsert(contractId, customer);
      } catch (error) {
        // refused by Smaregi or by members (nothing a retry changes): logged for staff, and the others still go;
        // members not trusting us or down (isRetryable) is the caller's to retry, as is Smaregi refusing the app
        if (error instanceof SmaregiRefusedError) {
          this.deps.logger.error({ contractId, customerId, status: error.status, detail: error.detail }, 'Smaregi refused to give the customer; not made a member');
        } else if (error instanceof AppError && !isRetryable(error)) {
          this.deps.logger.error({ contractId, customerId, code: error.extensions.code, reason: error.message }, 'Smaregi customer not made a member');
        } else {
          throw error;
        }
      }
    }
  }

  /** members' outbox: the member's customer record in each contract that creates customers. */
  async ensureCustomers(input: ParsedRequestOf<MemberRoute>): Promise<ReplyOf<MemberRoute>> {
    const customers: { contractId: string; customerId: string }[] = [];
    for (const contract of this.deps.contracts.all()) {
      const { contractId } = contract;
      if (!contract.createCustomers || contractId === input.fromSmaregiContractId) continue;
      const linked = await this.deps.links.findOne({ contractId, memberId: input.memberId }).lean<SmaregiCustomerLinkDoc>().exec();
      if (linked) {
        customers.push({ contractId, customerId: linked.customerId });
        continue;
      }
      try {
        const customer = (await this.smaregi(() => this.deps.api.findCustomerByCode(contractId, input.memberCode))) ?? (await this.create(contractId, input));
        const link = await this.link(contractId, customer, input.memberId, 'CONNECTOR');
        if (link?.memberId === input.memberId) customers.push({ contractId, customerId: link.customerId });
      } catch (error) {
        if (!(error instanceof SmaregiRefusedError)) throw error;
        this.deps.logger.error(
          { contractId, memberId: input.memberId, status: error.status, detail: error.detail },
          'Smaregi refused the member’s customer record; this contract is left without it',
        );
      }
    }
    if (customers.length) await this.mirror.syncMember(input.memberId);
    return { status: 'DONE', customers };
  }

  /**
   * A member merge (purchases' merge route, members' outbox): the merged member's customers become the survivor's,
   * so the survivor's balance goes to them and the survivor gets no second record in their contracts. Where the
   * survivor has a customer of that contract already, the merged one's stays linked to the merged member (one
   * customer per member and contract; its sales still go to the survivor, whom members names for the merged id)
   * and is logged for staff to merge in Smaregi. Idempotent: a rerun finds the links moved and syncs again.
   */
  async moveLinks(fromMemberId: string, toMemberId: string): Promise<void> {
    const links = await this.deps.links.find({ memberId: fromMemberId }).lean<SmaregiCustomerLinkDoc[]>().exec();
    for (const link of links) {
      try {
        await this.deps.links.updateOne({ _id: link._id, memberId: fromMemberId }, { $set: { memberId: toMemberId } });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        this.deps.logger.warn({ contractId: link.contractId, customerId: link.customerId, fromMemberId, toMemberId }, 'merged member’s Smaregi customer kept apart: the survivor has its own in this contract');
      }
    }
    if (await this.deps.links.exists({ memberId: toMemberId })) await this.mirror.syncMember(toMemberId);
  }

  private async upsert(contractId: string, customer: SmaregiCustomer) {
    if (customer.status === LEFT) this.deps.logger.info({ contractId, customerId: customer.customerId }, 'Smaregi customer left (退会); the member stays');
    const result = await this.deps.members.upsertRegisterCustomer({
      contractId,
      customerId: customer.customerId,
      customerCode: customer.customerCode,
      storeId: await this.storeIdOf(contractId, customer.storeId ?? null),
      lastName: customer.lastName,
      firstName: customer.firstName,
      lastKana: customer.lastKana ?? null,
      firstKana: customer.firstKana ?? null,
      phone: customer.mobileNumber || customer.phoneNumber || null,
      email: customer.mailAddress ?? null,
      birthday: customer.birthDate ?? null,
      updatedAt: customer.updDateTime ?? null,
    });
    const link = await this.link(contractId, customer, result.memberId, 'REGISTER');
    // a customer linked before already has its balance, each change of which points reports: only a new link (or one
    // whose sync a crash cut short, so no mark yet) is synced, not every edit at the register
    const synced = link !== null && (await this.mirror.models.marks.exists({ linkId: link._id, memberId: link.memberId }));
    if (result.outcome !== 'withdrawn' && !synced) await this.mirror.syncMember(result.memberId);
    return result;
  }

  /**
   * The customer's link, inserted or the one a racing run inserted. Null when the member already has another
   * customer in this contract (two records of one person in Smaregi): the first stays the one whose points we set.
   */
  private async link(contractId: string, customer: SmaregiCustomer, memberId: string, origin: SmaregiCustomerLinkDoc['origin']): Promise<SmaregiCustomerLinkDoc | null> {
    const claim = await claimOnce(this.deps.links, {
      _id: customerLinkId(contractId, customer.customerId),
      contractId,
      customerId: customer.customerId,
      memberId,
      customerCode: customer.customerCode || null,
      origin,
      createdAt: this.deps.clock(),
    });
    const link = claim.won ? claim.doc : claim.existing;
    if (!link) this.deps.logger.warn({ contractId, customerId: customer.customerId, memberId }, 'the member has another Smaregi customer in this contract; this one is not linked');
    else if (link.memberId !== memberId) this.deps.logger.warn({ contractId, customerId: customer.customerId, memberId, linkedTo: link.memberId }, 'Smaregi customer is linked to another member');
    return link;
  }

  private async create(contractId: string, input: ParsedRequestOf<MemberRoute>): Promise<SmaregiCustomer> {
    const customer: NewSmaregiCustomer = {
      customerCode: input.memberCode,
      lastName: input.lastName,
      firstName: input.firstName || NO_FIRST_NAME,
      ...(input.phone ? { mobileNumber: nationalPhone(input.phone) } : {}),
      ...(input.email ? { mailAddress: input.email } : {}),
      ...(input.birthday ? { birthDate: input.birthday } : {}),
    };
    try {
      return await this.smaregi(() => this.deps.api.createCustomer(contractId, customer));
    } catch (error) {
      if (!(error instanceof SmaregiRefusedError) || error.status !== 400) throw error;
      // a run of the same item made it meanwhile: the code is taken, by the record this run wanted
      const made = await this.smaregi(() => this.deps.api.findCustomerByCode(contractId, input.memberCode));
      if (made) return made;
      // a contract that requires kana refuses the record without it; which fields a contract requires is its own
      // setting, so the record is sent again with Smaregi's placeholder rather than read from it first
      return this.smaregi(() => this.deps.api.createCustomer(contractId, { ...customer, lastKana: NO_KANA, firstKana: NO_KANA }));
    }
  }

  /** Our store for the customer's Smaregi store (the contract's mapping), or null when it maps none we know. */
  private async storeIdOf(contractId: string, smaregiStoreId: string | null): Promise<string | null> {
    const ref = smaregiStoreId ? this.deps.contracts.storeRefOf(contractId, smaregiStoreId) : null;
    if (!ref) return null;
    try {
      const [store] = await this.deps.stores.resolveRefs([ref]);
      return store ? store._id.toHexString() : null;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      this.deps.logger.warn({ contractId, smaregiStoreId, ref }, 'SMAREGI_CONTRACTS maps a store we do not have');
      return null;
    }
  }

  /**
   * Smaregi not answering, or refusing the app in the whole contract (which staff set right there), is the caller's
   * to retry (its outbox), as any service that is down. `keepUnavailable`: for a caller that reads Smaregi's
   * Retry-After (the webhook's outbox item), SmaregiUnavailableError is thrown unwrapped.
   */
  private async smaregi<T>(call: () => Promise<T>, options: { keepUnavailable?: boolean } = {}): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof SmaregiUnavailableError && options.keepUnavailable) throw error;
      if (error instanceof SmaregiUnavailableError || (error instanceof SmaregiRefusedError && error.contractWide)) throw new ServiceUnavailableError('smaregi', error.message);
      throw error;
    }
  }
}

/** 090-1234-5678 as the register shows it, from our +819012345678; a number from abroad stays international. */
function nationalPhone(e164: string): string {
  const phone = parsePhoneNumberFromString(e164);
  return phone?.country === 'JP' ? phone.formatNational() : e164;
}
