import { AppError, NotFoundError } from '@omo/lib/core/errors';
import { callInternal, type ServiceDirectory } from '@omo/lib/server/internal-api';

/** The members service's internal API, as earnPreview needs it: members owns card codes and membership status. */
export class MembersClient {
  constructor(
    private readonly services: ServiceDirectory,
    private readonly internalSecret: string,
  ) {}

  private call<T>(path: string, body: unknown): Promise<T> {
    return callInternal<T>({ directory: this.services, target: 'members', path, body, internalSecret: this.internalSecret, service: 'points' });
  }

  /** The member a scanned card belongs to (a merged member's card gives the survivor; a withdrawn one, NOT_FOUND). */
  async resolveCode(code: string): Promise<string> {
    return (await this.call<{ memberId: string }>('/internal/members/resolve-code', { code })).memberId;
  }

  /** The member whose points this member id means now (a merged member's survivor); NOT_FOUND once withdrawn. */
  async activeMemberId(memberId: string): Promise<string> {
    const { current } = await this.call<{ current: Record<string, { memberId: string; status: string } | null> }>('/internal/members/current', { ids: [memberId] });
    const now = current[memberId];
    if (!now) throw new NotFoundError('Member');
    if (now.status === 'WITHDRAWN') throw new AppError('This member’s membership was withdrawn', 'NOT_FOUND');
    return now.memberId;
  }
}
