import { callInternal, type ServiceDirectory } from '@omo/lib/server/internal-api';
import { AppError, NotFoundError } from '@omo/lib/core/errors';

/** The members service's internal API, as purchases needs it: members owns codes and contact details. */
export class MembersClient {
  constructor(
    private readonly services: ServiceDirectory,
    private readonly internalSecret: string,
  ) {}

  private call<T>(path: string, body: unknown): Promise<T> {
    return callInternal<T>({ directory: this.services, target: 'members', path, body, internalSecret: this.internalSecret, service: 'purchases' });
  }

  /** The member a scanned card code belongs to (a merged member's code gives the survivor). */
  async resolveCode(code: string): Promise<string> {
    return (await this.call<{ memberId: string }>('/internal/members/resolve-code', { code })).memberId;
  }

  /** Like current, for a new purchase: a withdrawn membership takes none. */
  async activeMemberId(memberId: string): Promise<string> {
    const now = await this.current(memberId);
    if (now.status === 'WITHDRAWN') throw new AppError('This member’s membership was withdrawn', 'NOT_FOUND');
    return now.memberId;
  }

  /** The member whose account a purchase by this member id goes to now (a merged member's survivor), and its status. */
  async current(memberId: string): Promise<{ memberId: string; status: string }> {
    const { current } = await this.call<{ current: Record<string, { memberId: string; status: string } | null> }>('/internal/members/current', { ids: [memberId] });
    const now = current[memberId];
    if (!now) throw new NotFoundError('Member');
    return now;
  }
}
