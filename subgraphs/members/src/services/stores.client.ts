import { AppError, BadUserInputError } from '@omo/lib/core/errors';
import { callInternal, ServiceUnavailableError, type ServiceDirectory } from '@omo/lib/server/internal-api';
import type { StoreDirectory, StoreRef } from './api-key.service';

/** The purchases service's internal API, as members needs it: purchases owns the stores POS keys are scoped to. */
export class StoresClient implements StoreDirectory {
  constructor(
    private readonly services: ServiceDirectory,
    private readonly internalSecret: string,
  ) {}

  async resolve(refs: string[]): Promise<StoreRef[]> {
    try {
      const { stores } = await callInternal<{ stores: StoreRef[] }>({
        directory: this.services,
        target: 'purchases',
        path: '/internal/stores/resolve',
        body: { refs },
        internalSecret: this.internalSecret,
        service: 'members',
      });
      return stores;
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
