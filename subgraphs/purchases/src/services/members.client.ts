import { callInternal, type ServiceDirectory } from '@omo/lib/internal-api';
import { NotFoundError } from '@omo/lib/errors';

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

  async assertExists(memberId: string): Promise<string> {
    const { existing } = await this.call<{ existing: string[] }>('/internal/members/exists', { ids: [memberId] });
    if (!existing.includes(memberId)) throw new NotFoundError('Member');
    return memberId;
  }
}
