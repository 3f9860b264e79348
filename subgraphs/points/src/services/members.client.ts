import { MembersClient as MembersLookups } from '@omo/lib/contracts/members';
import type { ServiceDirectory } from '@omo/lib/server/internal-api';

/** The members service's internal API, as earnPreview and adjustPoints need it: members owns card codes and membership status. */
export class MembersClient extends MembersLookups {
  constructor(services: ServiceDirectory, internalSecret: string) {
    super({ directory: services, internalSecret, service: 'points' });
  }
}
