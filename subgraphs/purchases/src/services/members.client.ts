import { MembersClient as MembersLookups } from '@omo/lib/contracts/members';
import type { ServiceDirectory } from '@omo/lib/server/internal-api';

/** The members service's internal API, as purchases needs it: members owns codes and contact details. */
export class MembersClient extends MembersLookups {
  constructor(services: ServiceDirectory, internalSecret: string) {
    super({ directory: services, internalSecret, service: 'purchases' });
  }
}
