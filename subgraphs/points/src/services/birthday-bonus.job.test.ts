import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { createLogger } from '@omo/lib/core/logger';
import { ServiceUnavailableError } from '@omo/lib/server/internal-api';
import { until } from '@omo/tools/testing/concurrency';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { ledgerEntryModel, type LedgerEntryModel } from '../models/ledger-entry.model';
import { pointAccountModel, type PointAccountModel } from '../models/point-account.model';
import { jstMonthOf } from '@omo/lib/core/time';
import { BirthdayBonusJob, type BirthdayPages } from './birthday-bonus.job';
import { LedgerService } from './ledger.service';
import { verifyLedger } from './ledger-verify';
import { viewAt } from './lots';
import { createRulesModule, type RulesModule } from './rules.module';

const ADMIN: Caller = { kind: 'staff', staffId: 'staff-1', role: 'ADMIN' };
/** 1 May 2027, 09:30 JST. */
const MAY_2027 = new Date('2027-05-01T00:30:00.000Z');

let db: TestDatabase;
let entries: LedgerEntryModel;
let accounts: PointAccountModel;
let rules: RulesModule;
let now: Date;
/** What the members service lists: member id -> birthday month. */
let birthdayMonths: Map<string, number>;
/** The members merged into a listed member and its LINE user's earlier memberships, as members answers them. */
let priors: Map<string, string[]>;
let pageRequests: { month: number; after?: string; registeredBefore?: Date }[];
/** The page request (counted from 1 over the test) that finds the members service down. */
let downAtPage: number | null;

beforeEach(async () => {
  db = await openTestDatabase();
  now = MAY_2027;
  entries = ledgerEntryModel(db.connection);
  accounts = pointAccountModel(db.connection);
  rules = createRulesModule(db.connection, () => now);
  birthdayMonths = new Map();
  priors = new Map();
  pageRequests = [];
  downAtPage = null;
  await ensureIndexes(db.connection);
});
afterEach(async () => {
  expect((await verifyLedger(entries, accounts)).problems).toEqual([]);
  await db.drop();
});

/** Two members a page, by id, as members' `birthdays` pages them (its `next` is the last id of a full page). */
const birthdays: BirthdayPages = (request) => {
  pageRequests.push({ month: request.month, ...(request.after ? { after: request.after } : {}), ...(request.registeredBefore ? { registeredBefore: request.registeredBefore } : {}) });
  if (downAtPage === pageRequests.length) return Promise.reject(new ServiceUnavailableError('members', 'connect ECONNREFUSED'));
  const listed = [...birthdayMonths].filter(([id, month]) => month === request.month && (!request.after || id > request.after)).map(([id]) => id).sort();
  const page = listed.slice(0, 2);
  const members = page.map((memberId) => ({ memberId, ...(priors.has(memberId) ? { priorMemberIds: priors.get(memberId) } : {}) }));
  return Promise.resolve({ members, next: listed.length > 2 ? (page.at(-1) ?? null) : null });
};

/** A job as one points process builds it: its own ledger service, so two of them race only through the database. */
function job(): { job: BirthdayBonusJob; ledger: LedgerService } {
  const ledger = new LedgerService(entries, accounts, rules.policy, () => now, () => Promise.resolve(true));
  return { job: new BirthdayBonusJob(rules.policy, ledger, entries, birthdays, createLogger('silent')), ledger };
}

function member(month: number): string {
  const id = new Types.ObjectId().toHexString();
  birthdayMonths.set(id, month);
  return id;
}

async function balanceOf(memberId: string): Promise<number> {
  return viewAt(await job().ledger.state(memberId), now).balance;
}

describe('the birthday bonus job', () => {
  it('is off by default: it writes nothing and does not ask members', async () => {
    const id = member(5);
    expect(await job().job.run(now)).toEqual({ year: 2027, month: 5, membersListed: 0, bonusesGiven: 0, finished: true });
    expect(pageRequests).toEqual([]);
    expect(await entries.countDocuments()).toBe(0);
    expect(await balanceOf(id)).toBe(0);
  });

  it('writes nothing once an administrator has turned it off again', async () => {
    await rules.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 300 });
    await rules.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 0 });
    member(5);
    await job().job.run(now);
    expect(await entries.countDocuments()).toBe(0);
  });

  it('gives each member born in the JST month one BONUS lot, once, however many runs overlap', async () => {
    await rules.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 300 });
    const may = [member(5), member(5), member(5), member(5), member(5)];
    const june = member(6);
    const [a, b] = await Promise.all([job().job.run(now), job().job.run(now)]);
    expect([a.membersListed, b.membersListed]).toEqual([5, 5]);
    expect([a.finished, b.finished]).toEqual([true, true]);
    // three pages of two each run for May, and (1 May being in the first 7 days) one of April
    expect(pageRequests.filter((request) => request.month === 5)).toHaveLength(6);
    expect(pageRequests.filter((request) => request.month === 4)).toHaveLength(2);
    expect(pageRequests).toHaveLength(8);

    for (const id of may) expect(await balanceOf(id)).toBe(300);
    expect(await balanceOf(june)).toBe(0);
    const written = await entries.find().lean();
    expect(written).toHaveLength(5);
    expect(written.map((entry) => [entry.memberId, entry.type, entry.amount, entry.reason, entry.actor, entry.idempotencyKey]).sort()).toEqual(
      may.map((id) => [id, 'BONUS', 300, 'birthday', 'system', `birthday:${id}:2027`]).sort(),
    );
    // a lot like the sign-up bonus's: usable at once, valid for the policy's 365 days to the end of that JST day
    expect(viewAt(await job().ledger.state(may[0]!), now).expiring).toEqual([{ points: 300, expiresAt: new Date('2028-04-30T14:59:59.999Z') }]);

    // later runs in the month, also after the policy changed, find every bonus given
    await rules.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 500 });
    now = new Date('2027-05-20T03:00:00.000Z');
    expect(await job().job.run(now)).toMatchObject({ membersListed: 5, bonusesGiven: 0, finished: true });
    expect(await entries.countDocuments()).toBe(5);
  });

  it('keeps the first amount when a run that read the old policy writes after a run that read the new one', async () => {
    await rules.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 300 });
    const id = member(5);
    const slow = job();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let waiting = false;
    const bonus = slow.ledger.bonus.bind(slow.ledger);
    slow.ledger.bonus = async (input) => {
      waiting = true;
      await gate;
      return bonus(input);
    };
    const logger = createLogger('silent');
    const errors = jest.spyOn(logger, 'error');
    const oldPolicyRun = new BirthdayBonusJob(rules.policy, slow.ledger, entries, birthdays, logger).run(now);
    // the slow run has read 300 and found no bonus given; the policy changes and another run gives 500 first
    await until(() => waiting);
    await rules.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 500 });
    await job().job.run(now);
    release();
    expect(await oldPolicyRun).toMatchObject({ membersListed: 1, finished: true });
    expect(errors).not.toHaveBeenCalled();
    expect(await balanceOf(id)).toBe(500);
    expect(await entries.countDocuments()).toBe(1);
  });

  it('gives another bonus the next year, the first one having expired like any other lot', async () => {
    await rules.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 300 });
    const id = member(5);
    await job().job.run(now);
    now = new Date('2028-05-01T00:30:00.000Z');
    expect(await job().job.run(now)).toMatchObject({ year: 2028, month: 5, bonusesGiven: 1 });
    const keys = (await entries.find({ memberId: id }).sort({ seq: 1 }).lean()).map((entry) => [entry.type, entry.amount, entry.idempotencyKey]);
    expect(keys).toEqual([
      ['BONUS', 300, `birthday:${id}:2027`],
      ['EXPIRE', -300, `expire:${id}:1`],
      ['BONUS', 300, `birthday:${id}:2028`],
    ]);
    expect(await balanceOf(id)).toBe(300);
  });

  it('gives nothing more this year to a member who moves their birthday to a later month', async () => {
    await rules.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 300 });
    const id = member(5);
    await job().job.run(now);
    birthdayMonths.set(id, 8);
    now = new Date('2027-08-10T03:00:00.000Z');
    expect(await job().job.run(now)).toMatchObject({ month: 8, membersListed: 1, bonusesGiven: 0 });
    expect(await balanceOf(id)).toBe(300);
  });

  it('takes the month in Japan: 1 May 00:00 JST is still 30 April in UTC', async () => {
    expect(jstMonthOf(new Date('2027-04-30T15:00:00.000Z'))).toEqual({ year: 2027, month: 5 });
    expect(jstMonthOf(new Date('2027-04-30T14:59:59.999Z'))).toEqual({ year: 2027, month: 4 });
    expect(jstMonthOf(new Date('2027-12-31T15:00:00.000Z'))).toEqual({ year: 2028, month: 1 });
    await rules.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 300 });
    const id = member(1);
    now = new Date('2027-12-31T15:00:00.000Z');
    await job().job.run(now);
    expect(await entries.find({ memberId: id }, { idempotencyKey: 1, _id: 0 }).lean()).toEqual([{ idempotencyKey: `birthday:${id}:2028` }]);
  });

  it('leaves what a members outage kept it from to the next run, which gives the rest once', async () => {
    await rules.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 300 });
    const may = [member(5), member(5), member(5), member(5)].sort();
    downAtPage = 2;
    expect(await job().job.run(now)).toEqual({ year: 2027, month: 5, membersListed: 2, bonusesGiven: 2, finished: false });
    expect(await Promise.all(may.map(balanceOf))).toEqual([300, 300, 0, 0]);
    downAtPage = null;
    expect(await job().job.run(now)).toEqual({ year: 2027, month: 5, membersListed: 4, bonusesGiven: 2, finished: true });
    expect(await Promise.all(may.map(balanceOf))).toEqual([300, 300, 300, 300]);
    expect(await entries.countDocuments()).toBe(4);
  });

  it('skips a member whose points were merged away after members listed them, and gives the others', async () => {
    await rules.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 300 });
    const [merged, other] = [member(5), member(5)];
    const survivor = new Types.ObjectId().toHexString();
    const { ledger } = job();
    await ledger.bonus({ memberId: merged, points: 100, key: `signup:${merged}`, actor: 'system', reason: 'Sign-up bonus' });
    const out = await ledger.moveOut({ mergeId: 'm-1', fromMemberId: merged, toMemberId: survivor, actor: 'system' });
    await ledger.moveIn({ mergeId: 'm-1', out: out!, toMemberId: survivor, actor: 'system' });
    expect(await job().job.run(now)).toMatchObject({ membersListed: 2, bonusesGiven: 1, finished: true });
    expect([await balanceOf(other), await balanceOf(survivor)]).toEqual([300, 100]);
  });

  it('also gives, in the first 7 days of a month in Japan, the previous month’s birthdays added late, under that month’s year', async () => {
    await rules.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 300 });
    const december = member(12);
    const november = member(11);
    // 7 January 2028, 23:59 JST: December's birthdays are still looked at, as 2027's
    now = new Date('2028-01-07T14:59:00.000Z');
    expect(await job().job.run(now)).toEqual({ year: 2028, month: 1, membersListed: 1, bonusesGiven: 1, finished: true });
    expect(await entries.find({}, { memberId: 1, idempotencyKey: 1, _id: 0 }).lean()).toEqual([{ memberId: december, idempotencyKey: `birthday:${december}:2027` }]);
    // only members of December are looked back on: registered before 1 January 00:00 JST
    expect(pageRequests.filter((request) => request.month === 12)).toEqual([{ month: 12, registeredBefore: new Date('2027-12-31T15:00:00.000Z') }]);
    expect(await balanceOf(november)).toBe(0);
    // 8 January 00:00 JST: December is over
    const late = member(12);
    now = new Date('2028-01-07T15:00:00.000Z');
    pageRequests = [];
    expect(await job().job.run(now)).toEqual({ year: 2028, month: 1, membersListed: 0, bonusesGiven: 0, finished: true });
    expect(pageRequests).toEqual([{ month: 1 }]);
    expect(await balanceOf(late)).toBe(0);
  });

  it('gives no second bonus in a year to a person whose earlier or merged-away membership had it, and looks them up in one query a page', async () => {
    await rules.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 300 });
    const earlier = member(5);
    const mergedAway = member(5);
    await job().job.run(now);
    // the LINE user withdrew and joined again; the other membership was merged into a third one
    birthdayMonths.delete(earlier);
    birthdayMonths.delete(mergedAway);
    const rejoined = member(5);
    const survivor = member(5);
    const fresh = member(5);
    priors.set(rejoined, [earlier]);
    priors.set(survivor, [new Types.ObjectId().toHexString(), mergedAway]);
    priors.set(fresh, [new Types.ObjectId().toHexString()]);
    const queries = jest.spyOn(entries, 'find');
    now = new Date('2027-05-20T03:00:00.000Z');
    expect(await job().job.run(now)).toMatchObject({ membersListed: 3, bonusesGiven: 1, finished: true });
    // two pages of May (three members, two a page)
    expect(queries).toHaveBeenCalledTimes(2);
    expect([await balanceOf(rejoined), await balanceOf(survivor), await balanceOf(fresh)]).toEqual([0, 0, 300]);
    now = new Date('2028-05-20T03:00:00.000Z');
    expect(await job().job.run(now)).toMatchObject({ year: 2028, membersListed: 3, bonusesGiven: 3 });
  });
});
