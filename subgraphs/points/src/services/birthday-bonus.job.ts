import type { Logger } from '@omo/lib/core/logger';
import { JST_OFFSET_MS, jstMonthOf } from '@omo/lib/core/time';
import { ServiceUnavailableError } from '@omo/lib/server/internal-api';
import type { LedgerEntryDoc, LedgerEntryModel } from '../models/ledger-entry.model';
import type { LedgerService } from './ledger.service';
import { MemberMergedError } from './ledger-merges';
import type { PolicyService } from './policy.service';

/** The members service's birthday list (lib/contracts/members.ts `birthdays`), a page at a time. */
export type BirthdayPages = (request: {
  month: number;
  after?: string;
  limit?: number;
  registeredBefore?: Date;
}) => Promise<{ members: { memberId: string; priorMemberIds?: string[] }[]; next: string | null }>;

/** Days at the start of a JST month during which the previous month's birthdays are given too. */
const LATE_BIRTHDAY_DAYS = 7;

/** Members per page asked of the members service; their keys are looked up in one query. */
const PAGE_SIZE = 500;

export const BIRTHDAY_REASON = 'birthday';
export const BIRTHDAY_BONUS_KEY_PREFIX = 'birthday:';

export interface BirthdayBonusRun {
  /** The JST year and month of the run (in its first 7 days the previous month is given too, counted in the same totals). */
  year: number;
  month: number;
  membersListed: number;
  /** Bonuses this run wrote (a run racing another may count one the other wrote: the ledger holds it once). */
  bonusesGiven: number;
  /** False when members could not be reached before the last page: the next run carries on. */
  finished: boolean;
}

/**
 * The JST months whose birthdays a run at `now` gives, each with the year its keys are written under: this month
 * and, during its first LATE_BIRTHDAY_DAYS days, the previous one too (December's in January as the previous
 * year's), so a birthday added on the month's last evening is not missed for the year.
 */
export function monthsDue(now: Date): { year: number; month: number; registeredBefore?: Date }[] {
  const current = jstMonthOf(now);
  if (new Date(now.getTime() + JST_OFFSET_MS).getUTCDate() > LATE_BIRTHDAY_DAYS) return [current];
  // looking back is for members of the month looked back on: one who registers in January with a December birthday
  // was no member in that December, and gets their first bonus in the next one
  const registeredBefore = new Date(Date.UTC(current.year, current.month - 1, 1) - JST_OFFSET_MS);
  const previous = current.month === 1 ? { year: current.year - 1, month: 12 } : { year: current.year, month: current.month - 1 };
  return [current, { ...previous, registeredBefore }];
}

/** The ledger key of a member's birthday bonus: one per member and JST year, whichever run writes it. */
export function birthdayBonusKey(memberId: string, year: number): string {
  return `${BIRTHDAY_BONUS_KEY_PREFIX}${memberId}:${year}`;
}

/**
 * Gives the birthday bonus (the policy's birthdayBonusPoints; 0 = off, the run writes nothing) to every member the
 * members service lists with a birthday in the JST month of `now` (and early in the month the previous one, see
 * below; ACTIVE only: merged and withdrawn members are not listed), as a BONUS lot that expires like any other bonus.
 *
 * Once per member per JST year, however runs overlap: the entry's key is `birthday:<memberId>:<year>` under the
 * ledger's unique idempotency key, so of two runs at once (or two processes) one insert wins and the other gets the
 * same entry back. Once per person too: members lists with each member its `priorMemberIds` (the members merged
 * into it, at any depth, and the earlier, withdrawn memberships of its LINE user), and a year whose key exists for
 * the member or any of those is given (a merge that brings the merged member's birthday to the survivor, or
 * withdrawing and joining again from LINE, is no second bonus). Those keys are looked up with the page's, in one
 * query. A key is never reused with another amount: the first run's policy decides, and a replay is the
 * same request whatever the policy says by then.
 *
 * Crash points: the job keeps no state of its own. A run that dies mid-page, or whose members call fails, has
 * written whole entries only (one insert each); the next run pages from the start again, skips the members whose
 * key is in the ledger and gives the rest. The job runs once when points starts and then hourly, so a member who
 * joins during their birthday month gets the bonus within the hour.
 *
 * Birthdays added late in the month: during the first 7 days of a JST month a run also pages the previous month,
 * under that month's year (December's birthdays in a January run are the previous year's), so a birthday set in
 * the month's last hour, or while points was down then, still gets that year's bonus; only members registered
 * before the current month began are looked back on (one who joins in January with a December birthday was no member
 * that December).
 *
 * A birthday changed during the year: the key is per year, not per month, so a member who had this year's bonus gets
 * none in their new month; one who had not gets it in the new month if it is this month or later in the year, and
 * nothing this year if it has passed (next year, in the new month).
 */
export class BirthdayBonusJob {
  constructor(
    private readonly policy: PolicyService,
    private readonly ledger: LedgerService,
    private readonly entries: LedgerEntryModel,
    private readonly birthdays: BirthdayPages,
    private readonly logger: Logger,
  ) {}

  async run(now: Date): Promise<BirthdayBonusRun> {
    const { year, month } = jstMonthOf(now);
    const result: BirthdayBonusRun = { year, month, membersListed: 0, bonusesGiven: 0, finished: true };
    const { birthdayBonusPoints: points } = await this.policy.getPolicy();
    if (points <= 0) return result;
    for (const due of monthsDue(now)) {
      if (!(await this.giveMonth(due, points, result))) return { ...result, finished: false };
    }
    this.logger.info({ ...result, points }, 'birthday bonus run');
    return result;
  }

  /** Pages the members born in one month, counting into `result`; false when members could not be reached. */
  private async giveMonth(
    { year, month, registeredBefore }: { year: number; month: number; registeredBefore?: Date },
    points: number,
    result: BirthdayBonusRun,
  ): Promise<boolean> {
    let after: string | undefined;
    do {
      let page: Awaited<ReturnType<BirthdayPages>>;
      try {
        page = await this.birthdays({ month, after, limit: PAGE_SIZE, ...(registeredBefore ? { registeredBefore } : {}) });
      } catch (error) {
        if (!(error instanceof ServiceUnavailableError)) throw error;
        this.logger.warn({ err: error, ...result }, 'birthday bonus run stopped: members unavailable, the next run carries on');
        return false;
      }
      result.membersListed += page.members.length;
      const keysOf = (member: (typeof page.members)[number]) => [member.memberId, ...(member.priorMemberIds ?? [])].map((id) => birthdayBonusKey(id, year));
      const given = await this.givenAlready(page.members.flatMap(keysOf));
      for (const member of page.members) {
        if (keysOf(member).some((key) => given.has(key))) continue;
        if (await this.give(member.memberId, birthdayBonusKey(member.memberId, year), points, year)) result.bonusesGiven += 1;
      }
      after = page.next ?? undefined;
    } while (after !== undefined);
    return true;
  }

  /** The keys of a page that have their entry already: one query rather than a failed insert per member. */
  private async givenAlready(keys: string[]): Promise<Set<string>> {
    if (!keys.length) return new Set();
    const found = await this.entries.find({ idempotencyKey: { $in: keys } }, { idempotencyKey: 1 }).lean<Pick<LedgerEntryDoc, 'idempotencyKey'>[]>().exec();
    return new Set(found.map((entry) => entry.idempotencyKey));
  }

  private async give(memberId: string, key: string, points: number, year: number): Promise<boolean> {
    try {
      const entry = await this.ledger.bonus({ memberId, points, key, actor: 'system', reason: BIRTHDAY_REASON, request: [BIRTHDAY_REASON, year] });
      return entry !== null;
    } catch (error) {
      // one member must not hold up the others; a merged one (merged after members listed them) gets nothing, as
      // the survivor is listed for their own birthday; anything else is retried by the next run
      if (error instanceof MemberMergedError) return false;
      this.logger.error({ err: error, memberId }, 'birthday bonus failed');
      return false;
    }
  }
}
