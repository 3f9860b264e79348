import type { z } from 'zod';
import { MembersClient as MembersLookups, type membersContract } from '@omo/lib/contracts/members';
import type { ServiceDirectory } from '@omo/lib/server/internal-api';

type RegisterCustomerRoute = typeof membersContract.routes.upsertRegisterCustomer;

/** The members service's internal API, as purchases needs it: members owns codes and contact details. */
export class MembersClient extends MembersLookups {
  constructor(services: ServiceDirectory, internalSecret: string) {
    super({ directory: services, internalSecret, service: 'purchases' });
  }

  /** The Smaregi connector: a register customer's member, matched by code or link, or registered (members decides). */
  upsertRegisterCustomer(customer: z.input<RegisterCustomerRoute['request']>): Promise<z.infer<RegisterCustomerRoute['response']>> {
    return this.members.upsertRegisterCustomer(customer);
  }
}
