import { AppError, NotFoundError } from '@omo/lib/core/errors';
import { membersContract } from '@omo/lib/contracts/members';
import { internalClient, type InternalClient, type ServiceDirectory } from '@omo/lib/server/internal-api';

/** The members service's internal API, as earnPreview and adjustPoints need it: members owns card codes and membership status. */
export class MembersClient {
  private readonly members: InternalClient<typeof membersContract>;

  constructor(services: ServiceDirectory, internalSecret: string) {
    this.members = internalClient(membersContract, { directory: services, internalSecret, service: 'points' });
  }

  /** The member a scanned card belongs to (a merged member's card gives the survivor; a withdrawn one, NOT_FOUND). */
  async resolveCode(code: string): Promise<string> {
    return (await this.members.resolveCode({ code })).memberId;
  }

  /** Whether members knows this member id (in any state): adjustPoints asks before writing. */
  async exists(memberId: string): Promise<boolean> {
    return (await this.members.exists({ ids: [memberId] })).existing.includes(memberId);
  }

  /** The member whose points this member id means now (a merged member's survivor); NOT_FOUND once withdrawn. */
  async activeMemberId(memberId: string): Promise<string> {
    const { current } = await this.members.current({ ids: [memberId] });
    const now = current[memberId];
    if (!now) throw new NotFoundError('Member');
    if (now.status === 'WITHDRAWN') throw new AppError('This member’s membership was withdrawn', 'NOT_FOUND');
    return now.memberId;
  }
}
