import type { ParsedRequestOf, ReplyOf } from '@omo/lib/contracts/contract';
import type { purchasesContract } from '@omo/lib/contracts/purchases';
import type { OutboxHandler } from '@omo/lib/outbox/outbox';
import { ServiceUnavailableError } from '@omo/lib/server/internal-api';
import type { SmaregiDeps } from '../deps';
import type { BalanceMirror } from '../mirror/balance-mirror';

type MemberRoute = typeof purchasesContract.routes.smaregiMember;

/**
 * Members both ways (stub: issue 17, part D). A customer made or edited at a register becomes / updates a member
 * (members' upsertRegisterCustomer) and is linked in smaregi_customers; a member registered elsewhere gets a
 * customer record in each contract that creates customers.
 */
export class CustomerSync {
  constructor(
    private readonly deps: SmaregiDeps,
    private readonly mirror: BalanceMirror,
  ) {}

  /** The member a sale's customer is (linked, else fetched from Smaregi and upserted now); null for no customer. */
  memberForCustomer(_contractId: string, _customerId: string): Promise<string | null> {
    return Promise.reject(new ServiceUnavailableError('smaregi', 'the Smaregi customer sync is not built yet'));
  }

  /** pos:customers (created, edited, bulk-update): each customer read from Smaregi and upserted as a member. */
  applyCustomers(_contractId: string, _customerIds: string[]): Promise<void> {
    return Promise.reject(new ServiceUnavailableError('smaregi', 'the Smaregi customer sync is not built yet'));
  }

  /** members' outbox: the member's customer record in each contract that creates customers. */
  ensureCustomers(_input: ParsedRequestOf<MemberRoute>): Promise<ReplyOf<MemberRoute>> {
    return Promise.reject(new ServiceUnavailableError('smaregi', 'the Smaregi customer sync is not built yet'));
  }

  handlers(): Record<string, OutboxHandler> {
    return {};
  }
}
