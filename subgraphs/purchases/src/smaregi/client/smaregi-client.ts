import type { AppConfig } from '@omo/lib/core/config';
import type { Logger } from '@omo/lib/core/logger';
import { SmaregiUnavailableError, type NewSmaregiCustomer, type SmaregiApi, type SmaregiCustomer, type SmaregiTransaction } from '../smaregi-api';

/** The Smaregi Platform API over HTTP (stub: issue 17, part A builds it). */
export class SmaregiClient implements SmaregiApi {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: () => Date,
    private readonly logger: Logger,
  ) {}

  private notYet(): never {
    throw new SmaregiUnavailableError('the Smaregi client is not built yet', null, null);
  }

  getTransaction(_contractId: string, _transactionHeadId: string): Promise<SmaregiTransaction | null> {
    return this.notYet();
  }

  getCustomer(_contractId: string, _customerId: string): Promise<SmaregiCustomer | null> {
    return this.notYet();
  }

  findCustomerByCode(_contractId: string, _customerCode: string): Promise<SmaregiCustomer | null> {
    return this.notYet();
  }

  createCustomer(_contractId: string, _customer: NewSmaregiCustomer): Promise<SmaregiCustomer> {
    return this.notYet();
  }

  setCustomerPoint(_contractId: string, _customerId: string, _point: number): Promise<void> {
    return this.notYet();
  }

  setCustomerPointsBulk(_contractId: string, _points: { customerId: string; point: number }[], _callbackUrl: string): Promise<{ requestId: string }> {
    return this.notYet();
  }
}
