import { MembersClient as MembersLookups, membersContract } from '@omo/lib/contracts/members';
import { internalClient, type InternalClient, type ServiceDirectory } from '@omo/lib/server/internal-api';

type MembersRoutes = InternalClient<typeof membersContract>;

/** The members service's internal API, as points needs it: members owns card codes, membership status and birthdays. */
export class MembersClient extends MembersLookups {
  private readonly routes: MembersRoutes;

  constructor(services: ServiceDirectory, internalSecret: string) {
    const options = { directory: services, internalSecret, service: 'points' };
    super(options);
    this.routes = internalClient(membersContract, options);
  }

  /** The birthday bonus job's list: the ACTIVE members with a birthday in a month, a page at a time. */
  birthdays(request: Parameters<MembersRoutes['birthdays']>[0]): ReturnType<MembersRoutes['birthdays']> {
    return this.routes.birthdays(request);
  }
}
