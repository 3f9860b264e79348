import type { BirthdayBonusRun } from '@omo/points/src/services/birthday-bonus.job';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterMemberInput!) {
    registerMember(input: $input) { id }
  }
`;
const SET_BIRTHDAY_BONUS = /* GraphQL */ `
  mutation SetBirthdayBonus($points: Int!) {
    setPointsPolicy(input: { birthdayBonusPoints: $points }) { birthdayBonusPoints signupBonusPoints }
  }
`;
const MY_POINTS = /* GraphQL */ `
  { me { points { balance expiring { points expiresAt } history(first: 10) { nodes { type amount reason } } } } }
`;

interface MyPoints {
  balance: number;
  expiring: { points: number; expiresAt: string }[];
  history: { nodes: { type: string; amount: number; reason: string | null }[] };
}

/** 10 May 2027, 12:00 JST: May in Japan. */
const MAY_2027 = new Date('2027-05-10T03:00:00.000Z');

let system: TestSystem;
let now = MAY_2027;

beforeAll(async () => {
  system = await startTestSystem({}, undefined, { runBackground: false, clock: () => now });
}, 60_000);
afterAll(() => system.close());

let registered = 0;
async function register(displayName: string, birthday: string | null): Promise<string> {
  registered += 1;
  const input = { displayName, email: `birthday${registered}@example.com`, registeredVia: 'ONLINE', ...(birthday ? { birthday } : {}) };
  return ok(await system.graphql<{ registerMember: { id: string } }>(REGISTER, { input }, system.staffHeaders())).registerMember.id;
}

async function pointsOf(memberId: string): Promise<MyPoints> {
  return ok(await system.graphql<{ me: { points: MyPoints } }>(MY_POINTS, {}, system.customerHeaders(memberId))).me.points;
}

function runJob(): Promise<BirthdayBonusRun> {
  return system.subgraphs.points.built.birthdayBonus.run(now);
}

async function birthdayKeys(): Promise<string[]> {
  const entries = await system.db.collection('point_ledger').find({ idempotencyKey: /^birthday:/ }, { projection: { idempotencyKey: 1 } }).toArray();
  return entries.map((entry) => String(entry.idempotencyKey)).sort();
}

const SIGN_UP = { type: 'BONUS', amount: 100, reason: 'Sign-up bonus' };

describe('the birthday bonus through the gateway', () => {
  let hanako: string;
  let taro: string;
  let withdrawn: string;
  let noBirthday: string;

  beforeAll(async () => {
    hanako = await register('誕生花子', '1990-05-15');
    taro = await register('六月太郎', '1985-06-01');
    withdrawn = await register('退会五月', '2000-05-31');
    noBirthday = await register('無記入', null);
    ok(await system.graphql('mutation($id: ID!) { withdrawMember(id: $id) { status } }', { id: withdrawn }, system.staffHeaders()));
  });

  it('is off until an administrator turns it on: the job writes nothing', async () => {
    expect(await runJob()).toEqual({ year: 2027, month: 5, membersListed: 0, bonusesGiven: 0, finished: true });
    expect(await birthdayKeys()).toEqual([]);
    expect((await pointsOf(hanako)).history.nodes).toEqual([SIGN_UP]);
  });

  it('gives the members born in May their bonus once, though two runs go at once', async () => {
    const set = ok(await system.graphql(SET_BIRTHDAY_BONUS, { points: 500 }, system.adminHeaders()));
    expect(set).toEqual({ setPointsPolicy: { birthdayBonusPoints: 500, signupBonusPoints: 100 } });

    const runs = await Promise.all([runJob(), runJob()]);
    // the withdrawn member is not listed by members
    expect(runs.map((run) => run.membersListed)).toEqual([1, 1]);
    expect(await runJob()).toMatchObject({ membersListed: 1, bonusesGiven: 0, finished: true });

    expect(await pointsOf(hanako)).toEqual({
      balance: 600,
      // both lots are valid 365 days, to the end of that day in Japan
      expiring: [{ points: 600, expiresAt: '2028-05-09T14:59:59.999Z' }],
      history: { nodes: [{ type: 'BONUS', amount: 500, reason: 'birthday' }, SIGN_UP] },
    });
    expect((await pointsOf(taro)).balance).toBe(100);
    expect((await pointsOf(noBirthday)).balance).toBe(100);
    expect(await birthdayKeys()).toEqual([`birthday:${hanako}:2027`]);
  });

  it('gives another the next year, once more, when the last one has expired', async () => {
    now = new Date('2028-05-10T03:00:00.000Z');
    await Promise.all([runJob(), runJob()]);
    expect(await pointsOf(hanako)).toEqual({
      balance: 500,
      expiring: [{ points: 500, expiresAt: '2029-05-10T14:59:59.999Z' }],
      history: {
        nodes: [{ type: 'BONUS', amount: 500, reason: 'birthday' }, { type: 'EXPIRE', amount: -600, reason: 'Points expired' }, { type: 'BONUS', amount: 500, reason: 'birthday' }, SIGN_UP],
      },
    });
    expect(await birthdayKeys()).toEqual([`birthday:${hanako}:2027`, `birthday:${hanako}:2028`].sort());
  });

  it('gives no second bonus in the year to the survivor of a merge that brings the merged member’s birthday', async () => {
    const merged = await register('五月合併', '1995-05-05');
    const survivor = await register('誕生日なし', null);
    expect(await runJob()).toMatchObject({ year: 2028, month: 5, bonusesGiven: 1 });
    const merge = await system.graphql<{ mergeMembers: { merges: { state: string }[] } }>(
      'mutation($s: ID!, $m: ID!) { mergeMembers(survivorId: $s, mergedId: $m) { merges { state } } }',
      { s: survivor, m: merged },
      system.adminHeaders(),
    );
    expect(ok(merge).mergeMembers.merges).toEqual([{ state: 'COMPLETED' }]);
    // the survivor now has the May birthday, and the merged member's bonus of this year counts as theirs
    expect(await runJob()).toMatchObject({ year: 2028, month: 5, bonusesGiven: 0, finished: true });
    expect(await pointsOf(survivor)).toMatchObject({ balance: 700 });
    expect((await pointsOf(survivor)).history.nodes.filter((entry) => entry.reason === 'birthday')).toHaveLength(0);
    expect((await birthdayKeys()).filter((key) => key.includes(survivor) || key.includes(merged))).toEqual([`birthday:${merged}:2028`]);
  });

  it('writes nothing once it is turned off again', async () => {
    ok(await system.graphql(SET_BIRTHDAY_BONUS, { points: 0 }, system.adminHeaders()));
    now = new Date('2029-05-10T03:00:00.000Z');
    expect(await runJob()).toMatchObject({ year: 2029, month: 5, membersListed: 0, bonusesGiven: 0 });
    expect(await birthdayKeys()).toHaveLength(3);
  });
});
