import { membersContract } from '@omo/lib/contracts/members';
import { AppError, NotFoundError } from '@omo/lib/core/errors';
import { internalClient, type InternalClient, type ServiceDirectory } from '@omo/lib/server/internal-api';

/** The members service's internal API, as purchases needs it: members owns codes and contact details. */
export class MembersClient {
  private readonly members: InternalClient<typeof membersContract>;

  constructor(services: ServiceDirectory, internalSecret: string) {
    this.members = internalClient(membersContract, { directory: services, internalSecret, service: 'purchases' });
  }

  /** The member a scanned card code belongs to (a merged member's code gives the survivor). */
  async resolveCode(code: string): Promise<string> {
    return (await this.members.resolveCode({ code })).memberId;
  }

  /** The member whose account a purchase by this member id goes to now (a merged member's survivor). */
  async currentMemberId(memberId: string): Promise<string> {
    return (await this.current(memberId)).memberId;
  }

  /** Like currentMemberId, for a new purchase: a withdrawn membership takes none. */
  async activeMemberId(memberId: string): Promise<string> {
    const now = await this.current(memberId);
    if (now.status === 'WITHDRAWN') throw new AppError('This member’s membership was withdrawn', 'NOT_FOUND');
    return now.memberId;
  }

  private async current(memberId: string): Promise<{ memberId: string; status: string }> {
    const { current } = await this.members.current({ ids: [memberId] });
    const now = current[memberId];
    if (!now) throw new NotFoundError('Member');
    return now;
  }
}
