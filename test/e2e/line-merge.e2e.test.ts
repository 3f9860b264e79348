import { startFakeLineApi, type FakeLineApi } from '../helpers/fake-line-api';
import { deliverLineEvent, ok, startTestSystem, type TestSystem } from '../helpers/system';

/**
 * A member merge and the LINE link, end to end through the gateway: members linked the way customers link (a code
 * from the member page, sent in the LINE chat), merged by staff, then reached by a segment preview and a segment
 * message through the fake LINE API.
 */
const MEMBER_MENU = 'richmenu-members-0001';
const GUEST_MENU = 'richmenu-guests-0001';

const REGISTER = 'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id } }';
const MERGE = /* GraphQL */ `
  mutation($survivorId: ID!, $mergedId: ID!) {
    mergeMembers(survivorId: $survivorId, mergedId: $mergedId) { id merges { state pendingSteps } }
  }
`;
const LINE_ACCOUNTS = /* GraphQL */ `
  query($id: ID!) {
    member(id: $id) {
      lineAccount { displayName linkedAt friendStatus }
      mergedLineAccounts { displayName linkedAt mergedMemberId mergeId unlinkedAt }
    }
  }
`;
const PREVIEW = /* GraphQL */ `
  query($definition: SegmentDefinitionInput) { segmentPreview(definition: $definition) { memberCount reachableCount sample { id displayName } } }
`;
const SEND = 'mutation($input: SendSegmentMessageInput!) { sendSegmentMessage(input: $input) { id } }';
const DELIVERY = 'query($id: ID!) { messageDelivery(id: $id) { status recipients sent } }';

interface LineAccount {
  displayName: string | null;
  linkedAt: string;
  friendStatus: string;
}
interface MergedLineAccount {
  displayName: string | null;
  linkedAt: string;
  mergedMemberId: string;
  mergeId: string;
  unlinkedAt: string;
}

let fake: FakeLineApi;
let system: TestSystem;
let sequence = 0;


/** A text from a LINE user in the one-to-one chat, signed as LINE signs it, then processed. */
async function say(lineUserId: string, text: string): Promise<void> {
  sequence += 1;
  const event = {
    type: 'message',
    message: { id: `6${String(sequence).padStart(17, '0')}`, type: 'text', text, quoteToken: `q-${sequence}` },
    webhookEventId: `01JYLINEMERGE${String(sequence).padStart(13, '0')}`,
    timestamp: Date.now(),
    mode: 'active',
    source: { type: 'user', userId: lineUserId },
    replyToken: `merge-reply-${sequence}`,
    deliveryContext: { isRedelivery: false },
  };
  await deliverLineEvent(system, event);
}

/** A member registered by staff, with a tag of its own so a segment can find whoever holds it after the merge. */
async function register(displayName: string, tag: string): Promise<string> {
  sequence += 1;
  // consenting to marketing: the segmented messages below go to no one else
  const input = { displayName, email: `line-merge-${sequence}@example.com`, registeredVia: 'ONLINE', tags: [tag], marketingConsent: true };
  return ok(await system.graphql<{ registerMember: { id: string } }>(REGISTER, { input }, system.adminHeaders())).registerMember.id;
}

/** What a customer logged in as `memberId` does to link: a code issued on the member page, sent in the LINE chat. */
async function sendLinkCode(memberId: string, lineUserId: string): Promise<void> {
  const { code } = ok(await system.graphql<{ issueLineLinkCode: { code: string } }>('mutation { issueLineLinkCode { code } }', {}, system.customerHeaders(memberId))).issueLineLinkCode;
  await say(lineUserId, code);
}

async function link(memberId: string, lineUserId: string): Promise<LineAccount> {
  await sendLinkCode(memberId, lineUserId);
  const account = (await accounts(memberId)).lineAccount;
  expect(account).not.toBeNull();
  return account!;
}

async function accounts(memberId: string): Promise<{ lineAccount: LineAccount | null; mergedLineAccounts: MergedLineAccount[] }> {
  return ok(await system.graphql<{ member: { lineAccount: LineAccount | null; mergedLineAccounts: MergedLineAccount[] } }>(LINE_ACCOUNTS, { id: memberId }, system.adminHeaders())).member;
}

async function merge(survivorId: string, mergedId: string): Promise<void> {
  const merged = ok(await system.graphql<{ mergeMembers: { id: string; merges: unknown[] } }>(MERGE, { survivorId, mergedId }, system.adminHeaders()));
  expect(merged.mergeMembers).toEqual({ id: survivorId, merges: [{ state: 'COMPLETED', pendingSteps: [] }] });
  await system.subgraphs.line.built.outbox.drain(); // the rich menu follows the link
}

const preview = async (tag: string) => ok(await system.graphql<{ segmentPreview: unknown }>(PREVIEW, { definition: { tags: { all: [tag] } } }, system.adminHeaders())).segmentPreview;

/** A personalised segment message to whoever holds the tag: what LINE was asked to push, to whom. */
async function message(tag: string): Promise<{ delivery: { status: string; recipients: number; sent: number }; pushed: { to: string | null; text: string }[] }> {
  const before = fake.sent().length;
  const input = { definition: { tags: { all: [tag] } }, messages: [{ text: '{displayName}さま、ただいま{points}ポイントです' }], idempotencyKey: `message-${tag}` };
  const { id } = ok(await system.graphql<{ sendSegmentMessage: { id: string } }>(SEND, { input }, system.adminHeaders())).sendSegmentMessage;
  await system.subgraphs.line.built.deliveries.drain();
  const delivery = ok(await system.graphql<{ messageDelivery: { status: string; recipients: number; sent: number } }>(DELIVERY, { id }, system.adminHeaders())).messageDelivery;
  const pushed = fake.sent().slice(before).map((sent) => ({ to: sent.to, text: (sent.messages[0] as { text: string }).text }));
  return { delivery, pushed };
}

const lastRichMenuCall = (userId: string) =>
  fake.requests
    .filter((r) => r.path.startsWith(`/v2/bot/user/${userId}/richmenu`))
    .map((r) => `${r.method} ${r.path.slice(`/v2/bot/user/${userId}`.length)}`)
    .at(-1);

beforeAll(async () => {
  fake = await startFakeLineApi();
  system = await startTestSystem(
    { LINE_API_BASE_URL: fake.url, LINE_MEMBER_RICH_MENU_ID: MEMBER_MENU, LINE_GUEST_RICH_MENU_ID: GUEST_MENU, LINE_QUIET_HOURS: '' },
    undefined,
    { runBackground: false },
  );
});
afterAll(async () => {
  await system?.close();
  await fake?.close();
});

describe('a member merge and the LINE link', () => {
  it('moves the merged member’s link to the survivor: the survivor shows it, is counted by segments and gets messages', async () => {
    const survivor = await register('店舗の山田', 'merge-moved-survivor');
    const merged = await register('ECの山田', 'merge-moved');
    const lineUser = 'U1a2b3c4d5e6f708192a3b4c5d6e7f801';
    const account = await link(merged, lineUser);
    await system.subgraphs.members.built.outbox.drain(); // sign-up bonuses: 100 points each

    await merge(survivor, merged);

    expect(await accounts(survivor)).toEqual({ lineAccount: account, mergedLineAccounts: [] });
    expect((await accounts(merged)).lineAccount).toBeNull();
    expect(await preview('merge-moved')).toEqual({ memberCount: 1, reachableCount: 1, sample: [{ id: survivor, displayName: '店舗の山田' }] });
    expect(await message('merge-moved')).toEqual({ delivery: { status: 'COMPLETED', recipients: 1, sent: 1 }, pushed: [{ to: lineUser, text: '店舗の山田さま、ただいま200ポイントです' }] });
    expect(lastRichMenuCall(lineUser)).toBe(`POST /richmenu/${MEMBER_MENU}`);
    // the merged member's login is the survivor's now: no second LINE account for it through the old id
    const again = await system.graphql('mutation { issueLineLinkCode { code } }', {}, system.customerHeaders(merged));
    expect(again.errors?.[0]?.extensions?.code).toBe('ALREADY_EXISTS');
  });

  it('keeps the survivor’s own link when both were linked, and records the merged member’s for staff', async () => {
    const survivor = await register('店舗の佐藤', 'merge-both-survivor');
    const merged = await register('ECの佐藤', 'merge-both');
    const survivorUser = 'U2b3c4d5e6f708192a3b4c5d6e7f80912';
    const mergedUser = 'U3c4d5e6f708192a3b4c5d6e7f8091223';
    const survivorAccount = await link(survivor, survivorUser);
    const mergedAccount = await link(merged, mergedUser);
    await system.subgraphs.members.built.outbox.drain();

    await merge(survivor, merged);

    const after = await accounts(survivor);
    expect(after).toEqual({
      lineAccount: survivorAccount,
      mergedLineAccounts: [
        { displayName: mergedAccount.displayName, linkedAt: mergedAccount.linkedAt, mergedMemberId: merged, mergeId: `${merged}->${survivor}`, unlinkedAt: expect.any(String) },
      ],
    });
    expect(Date.parse(after.mergedLineAccounts[0]!.unlinkedAt)).toBeGreaterThanOrEqual(Date.parse(mergedAccount.linkedAt));
    expect((await accounts(merged)).lineAccount).toBeNull();
    expect(await preview('merge-both')).toEqual({ memberCount: 1, reachableCount: 1, sample: [{ id: survivor, displayName: '店舗の佐藤' }] });
    expect(await message('merge-both')).toEqual({ delivery: { status: 'COMPLETED', recipients: 1, sent: 1 }, pushed: [{ to: survivorUser, text: '店舗の佐藤さま、ただいま200ポイントです' }] });
    expect(lastRichMenuCall(survivorUser)).toBe(`POST /richmenu/${MEMBER_MENU}`);
    expect(lastRichMenuCall(mergedUser)).toBe(`POST /richmenu/${GUEST_MENU}`);
  });

  it('finishes the LINE step when the line service is back, the merge IN_PROGRESS meanwhile', async () => {
    const survivor = await register('店舗の高橋', 'merge-later-survivor');
    const merged = await register('ECの高橋', 'merge-later');
    const lineUser = 'U4d5e6f708192a3b4c5d6e7f809122334';
    const account = await link(merged, lineUser);
    await system.stop('line');

    const during = ok(await system.graphql<{ mergeMembers: unknown }>(MERGE, { survivorId: survivor, mergedId: merged }, system.adminHeaders()));

    expect(during.mergeMembers).toEqual({ id: survivor, merges: [{ state: 'IN_PROGRESS', pendingSteps: ['LINE'] }] });
    await system.restart('line');
    await system.db.collection('members_outbox').updateMany({ doneAt: null }, { $set: { nextAttemptAt: new Date(0) } });
    await system.subgraphs.members.built.outbox.drain();
    expect(await accounts(survivor)).toEqual({ lineAccount: account, mergedLineAccounts: [] });
  });

  it('leaves a merge without links as it was, and shows a member’s past LINE accounts only to staff and the member', async () => {
    const survivor = await register('店舗の鈴木', 'merge-none-survivor');
    const merged = await register('ECの鈴木', 'merge-none');
    const stranger = await register('別人の佐藤', 'merge-none-stranger');

    await merge(survivor, merged);

    expect(await accounts(survivor)).toEqual({ lineAccount: null, mergedLineAccounts: [] });
    expect(await preview('merge-none')).toEqual({ memberCount: 0, reachableCount: 0, sample: [] });
    // a customer still logged in as the merged member links their LINE account to the member they now are
    await sendLinkCode(merged, 'U5e6f708192a3b4c5d6e7f80912233445');
    expect((await accounts(survivor)).lineAccount).toMatchObject({ friendStatus: 'FRIEND' });
    expect((await accounts(merged)).lineAccount).toBeNull();
    const own = await system.graphql(LINE_ACCOUNTS, { id: survivor }, system.customerHeaders(survivor));
    expect(own.errors).toBeUndefined();
    // the merged member's login acts as the survivor; another member sees nothing
    expect((await system.graphql(LINE_ACCOUNTS, { id: survivor }, system.customerHeaders(merged))).errors).toBeUndefined();
    const other = await system.graphql(LINE_ACCOUNTS, { id: survivor }, system.customerHeaders(stranger));
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('issues no link code to a withdrawn member', async () => {
    const withdrawn = await register('退会した山田', 'withdrawn');
    ok(await system.graphql('mutation($id: ID!) { withdrawMember(id: $id) { status } }', { id: withdrawn }, system.adminHeaders()));
    // the withdrawn member's token itself is refused
    const issued = await system.graphql('mutation { issueLineLinkCode { code } }', {}, system.customerHeaders(withdrawn));
    expect(issued.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await system.db.collection('line_link_codes').countDocuments({ memberId: withdrawn })).toBe(0);
  });
});
