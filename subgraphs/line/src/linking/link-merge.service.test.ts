import { ensureIndexes } from '@omo/lib/core/db';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { rejection } from '@omo/tools/testing/errors';
import { testBuildOptions } from '@omo/tools/testing/subgraph';
import { lineLinkMergeModel, type LineLinkMergeModel } from './line-link-merge.model';
import { lineLinkModel, type LineLinkModel } from './line-link.model';
import { linkCodeModel } from './link-code.model';
import { linkNonceModel } from './link-nonce.model';
import { LinkMergeService } from './link-merge.service';

/** The LINE step of a merge on its own database: the retries and interleavings the e2e test cannot stage. */
const NOW = new Date('2030-01-10T00:00:00.000Z');
const LINKED_AT = new Date('2029-12-01T00:00:00.000Z');

let db: TestDatabase;
let links: LineLinkModel;
let decisions: LineLinkMergeModel;
let service: LinkMergeService;
const menus: string[] = [];
let sequence = 0;

const memberId = () => (sequence += 1).toString(16).padStart(24, '0');
const lineUser = () => `U${(sequence += 1).toString(16).padStart(32, '0')}`;
const link = (lineUserId: string, member: string) => links.create({ _id: lineUserId, memberId: member, displayName: '山田花子', linkedAt: LINKED_AT, friendStatus: 'FRIEND' });
const memberOf = async (lineUserId: string) => (await links.findById(lineUserId).lean().exec())?.memberId ?? null;

beforeAll(async () => {
  db = await openTestDatabase();
  const options = testBuildOptions(db.connection, { clock: () => NOW });
  links = lineLinkModel(db.connection);
  decisions = lineLinkMergeModel(db.connection);
  service = new LinkMergeService({
    links,
    merges: decisions,
    codes: linkCodeModel(db.connection),
    nonces: linkNonceModel(db.connection),
    followMenu: (lineUserId) => Promise.resolve(void menus.push(lineUserId)),
    clock: options.clock,
    logger: options.logger,
  });
  await ensureIndexes(db.connection);
});
afterAll(() => db.drop());

describe('the LINE step of a member merge', () => {
  it('moves the link once however often the step is retried, and answers every retry alike', async () => {
    const [from, to, user] = [memberId(), memberId(), lineUser()];
    await link(user, from);
    const body = { mergeId: `${from}->${to}`, fromMemberId: from, toMemberId: to };

    const answers = [...(await Promise.all([service.merge(body), service.merge(body)])), await service.merge(body)];

    expect(answers).toEqual([{ outcome: 'MOVED' }, { outcome: 'MOVED' }, { outcome: 'MOVED' }]);
    expect(await memberOf(user)).toBe(to);
    expect(await decisions.countDocuments({ _id: body.mergeId })).toBe(1);
  });

  it('keeps to a decision taken before the survivor was linked elsewhere: the survivor keeps its new link', async () => {
    const [from, to, user, other] = [memberId(), memberId(), lineUser(), lineUser()];
    await link(user, from);
    const mergeId = `${from}->${to}`;
    // a runner decided MOVED and stopped; the survivor's customer linked another LINE account before the retry
    await decisions.create({ _id: mergeId, fromMemberId: from, toMemberId: to, outcome: 'MOVED', lineUserId: user, displayName: '山田花子', linkedAt: LINKED_AT, decidedAt: NOW });
    await link(other, to);

    expect(await service.merge({ mergeId, fromMemberId: from, toMemberId: to })).toEqual({ outcome: 'KEPT_SURVIVOR' });

    expect(await memberOf(other)).toBe(to);
    expect(await memberOf(user)).toBeNull();
    expect(await service.keptBySurvivors([to])).toEqual([[expect.objectContaining({ _id: mergeId, lineUserId: user, fromMemberId: from, linkedAt: LINKED_AT })]]);
    expect(menus.at(-1)).toBe(user);
  });

  it('leaves alone a merged member’s link that was replaced after the decision', async () => {
    const [from, to, user, another] = [memberId(), memberId(), lineUser(), memberId()];
    await link(user, from);
    const mergeId = `${from}->${to}`;
    await decisions.create({ _id: mergeId, fromMemberId: from, toMemberId: to, outcome: 'MOVED', lineUserId: user, displayName: null, linkedAt: LINKED_AT, decidedAt: NOW });
    await links.deleteOne({ _id: user });
    await link(user, another);

    await service.merge({ mergeId, fromMemberId: from, toMemberId: to });

    expect(await memberOf(user)).toBe(another);
  });

  it('voids link codes still open for the merged member', async () => {
    const [from, to] = [memberId(), memberId()];
    await linkCodeModel(db.connection).create({ _id: `code-of-${from}`, memberId: from, createdAt: NOW, expiresAt: new Date(NOW.getTime() + 600_000) });

    expect(await service.merge({ mergeId: `${from}->${to}`, fromMemberId: from, toMemberId: to })).toEqual({ outcome: 'NONE' });

    expect(await linkCodeModel(db.connection).countDocuments({ memberId: from })).toBe(0);
  });

  it('refuses a malformed request without writing anything', async () => {
    const before = await decisions.countDocuments();
    const error = await rejection(service.merge({ mergeId: 'x', fromMemberId: 'not-an-id', toMemberId: memberId() }));
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'mergeId' });
    expect(await decisions.countDocuments()).toBe(before);
  });
});
