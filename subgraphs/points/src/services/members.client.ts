import { MembersClient as MembersLookups, type membersContract } from '@omo/lib/contracts/members';
import type { InternalClient, ServiceDirectory } from '@omo/lib/server/internal-api';

type MembersRoutes = InternalClient<typeof membersContract>;

/** The members service's internal API, as points needs it: members owns card codes, membership status and birthdays. */
export class MembersClient extends MembersLookups {
  constructor(services: ServiceDirectory, internalSecret: string) {
    super({ directory: services, internalSecret, service: 'points' });
  }

  /** The birthday bonus job's list: the ACTIVE members with a birthday in a month, a page at a time. */
  birthdays(request: Parameters<MembersRoutes['birthdays']>[0]): ReturnType<MembersRoutes['birthdays']> {
    return this.members.birthdays(request);
  }
}
