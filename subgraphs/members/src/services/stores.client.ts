import { AppError, BadUserInputError } from '@omo/lib/core/errors';
import { purchasesContract } from '@omo/lib/contracts/purchases';
import { internalClient, ServiceUnavailableError, type InternalClient, type ServiceDirectory } from '@omo/lib/server/internal-api';
import type { StoreDirectory, StoreRef } from './api-key.service';

/** The purchases service's internal API, as members needs it: purchases owns the stores POS keys are scoped to. */
export class StoresClient implements StoreDirectory {
  private readonly purchases: InternalClient<typeof purchasesContract>;

  constructor(services: ServiceDirectory, internalSecret: string) {
    this.purchases = internalClient(purchasesContract, { directory: services, internalSecret, service: 'members' });
  }

  async resolve(refs: string[]): Promise<StoreRef[]> {
    try {
      return (await this.purchases.resolveStores({ refs })).stores;
    } catch (error) {
      // an unknown store is the caller's mistake here, not a missing resource of this operation
      if (error instanceof AppError && error.extensions.code === 'NOT_FOUND') throw new BadUserInputError(error.message, { field: 'storeIds' });
      if (error instanceof ServiceUnavailableError) {
        throw new AppError('The stores cannot be checked right now; try again shortly', 'SERVICE_UNAVAILABLE');
      }
      throw error;
    }
  }
}
