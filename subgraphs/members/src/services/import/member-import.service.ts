import { Types } from 'mongoose';
import { actorOf, requireAdmin, type Caller } from '@omo/lib/core/auth';
import { insertManyOnce } from '@omo/lib/core/claims';
import { BadUserInputError } from '@omo/lib/core/errors';
import type { Outbox } from '@omo/lib/outbox/outbox';
import type { MembersModels } from '../../models';
import type { LegacyCodeDoc } from '../../models/legacy-code.model';
import type { MemberDoc } from '../../models/member.model';
import { IMPORT_BALANCES_OUTBOX_TYPE, type ImportBalanceItem } from './import-balances.handler';
import { importKey, reportDuplicate, type ImportDuplicate, type ImportRegistrations } from './import-registration.service';
import { importRowParser, type ImportRow, type ImportRowInput } from './import-row';

export { IMPORTED_TAG, importKey, type ImportDuplicate } from './import-registration.service';

/** Rows one importMembers call takes. */
export const MAX_IMPORT_ROWS = 500;

export type ImportOutcome = 'CREATED' | 'UNCHANGED' | 'WOULD_CREATE' | 'INVALID';

export interface ImportRowResult {
  line: number;
  legacyCode: string;
  outcome: ImportOutcome;
  memberId: string | null;
  memberCode: string | null;
  duplicateContacts: ImportDuplicate[];
  messages: string[];
}

export interface ImportResult {
  dryRun: boolean;
  rows: ImportRowResult[];
}

/** A row that passed its checks, with the member its code is claimed for (once claimed) and that member if stored. */
interface Pending {
  index: number;
  row: ImportRow;
  memberId: Types.ObjectId | null;
  member: MemberDoc | null;
}

/**
 * Importing the previous card system's members (docs/member-import.md), a batch at a time. Idempotent by the old
 * code: each is claimed by inserting it into member_legacy_codes (`_id` the code, naming a member id chosen then)
 * BEFORE its member is registered under that id, so one code gives one member however often, or however
 * concurrently, the rows are sent. Crash points, in the order the writes are made:
 * - code claimed, nothing else: the next run finds the claim without its member and registers it under the
 *   claim's member id, with that run's row.
 * - balances item written (one per call, before its members, keyed by a fresh id): it waits a minute for the
 *   members, then sends those stored and leaves out the rest. Every call's item carries the lots and tier of each of
 *   its rows with a member, UNCHANGED ones too, so any rerun sends again what a dead run left unsent (points replays
 *   each member's import key: a balance that arrived is not added twice); a done item is never run again with
 *   another call's payload.
 * - duplicates flagged, contacts claimed, member.registered queued, members not inserted: see
 *   ImportRegistrations, which registers the batch's members in a few commands for all of them.
 * - members inserted, balances not sent: the item is durable, and the worker sends it.
 * Two runs of one code at once both register under the claimed id: the member insert under one id is the decision
 * (the loser answers UNCHANGED). A member registered this way is a STORE member registered by staff (consent not
 * granted, source STAFF; tag `imported`) and gets no sign-up bonus and no Smaregi customer item.
 */
export class MemberImportService {
  constructor(
    private readonly models: MembersModels,
    private readonly registrations: ImportRegistrations,
    private readonly clock: () => Date,
    private readonly outbox?: Outbox,
  ) {}

  async import(caller: Caller, input: { rows: ImportRowInput[]; dryRun: boolean }): Promise<ImportResult> {
    const admin = requireAdmin(caller);
    if (input.rows.length > MAX_IMPORT_ROWS) throw new BadUserInputError(`rows must be at most ${MAX_IMPORT_ROWS} a call`, { field: 'rows' });
    const now = this.clock();
    const results: ImportRowResult[] = input.rows.map((row) => ({
      line: row.line,
      legacyCode: row.legacyCode,
      outcome: 'INVALID',
      memberId: null,
      memberCode: null,
      duplicateContacts: [],
      messages: [],
    }));
    const pending = this.checked(input.rows, results, now);
    await this.refuseCardCodes(pending, results);
    await this.attachClaims(pending);
    for (const entry of pending) results[entry.index]!.messages.push(...entry.row.notes);
    const unchanged = pending.filter((entry) => entry.member);
    for (const entry of unchanged) this.answer(results[entry.index]!, 'UNCHANGED', entry.member);
    const toRegister = pending.filter((entry) => !entry.member);
    if (input.dryRun) await this.preview(toRegister, results);
    else await this.register(toRegister, unchanged, results, actorOf(admin));
    return { dryRun: input.dryRun, rows: results };
  }

  /** The rows that pass their checks; a code given twice in the batch refuses the later rows. */
  private checked(rows: ImportRowInput[], results: ImportRowResult[], now: Date): Pending[] {
    const firstLine = new Map<string, number>();
    const pending: Pending[] = [];
    const parse = importRowParser(now);
    rows.forEach((input, index) => {
      const parsed = parse(input);
      if (!parsed.ok) {
        results[index]!.messages.push(...parsed.messages);
        return;
      }
      const earlier = firstLine.get(parsed.row.legacyCode);
      if (earlier !== undefined) {
        results[index]!.messages.push(`legacyCode is the same as line ${earlier}'s`);
        return;
      }
      firstLine.set(parsed.row.legacyCode, parsed.row.line);
      pending.push({ index, row: parsed.row, memberId: null, member: null });
    });
    return pending;
  }

  /**
   * An old code that is some member's card code already would be shadowed at the register by that card (card codes
   * are looked up first): refused.
   */
  private async refuseCardCodes(pending: Pending[], results: ImportRowResult[]): Promise<void> {
    const taken = await this.models.members
      .find({ memberCode: { $in: pending.map((entry) => entry.row.legacyCode) } }, { memberCode: 1 })
      .lean<Pick<MemberDoc, '_id' | 'memberCode'>[]>()
      .exec();
    if (!taken.length) return;
    const codes = new Set(taken.map((member) => member.memberCode));
    for (let i = pending.length - 1; i >= 0; i -= 1) {
      const entry = pending[i]!;
      if (!codes.has(entry.row.legacyCode)) continue;
      results[entry.index]!.messages.push('legacyCode is a card code of another member already');
      pending.splice(i, 1);
    }
  }

  /** Each code's claim and its member, in two queries for the batch. */
  private async attachClaims(pending: Pending[]): Promise<void> {
    const claims = await this.claimsOf(pending.map((entry) => entry.row.legacyCode));
    const members = await this.membersOf([...claims.values()].map((claim) => claim.memberId));
    for (const entry of pending) {
      const claim = claims.get(entry.row.legacyCode);
      entry.memberId = claim?.memberId ?? null;
      entry.member = claim ? (members.get(claim.memberId.toHexString()) ?? null) : null;
    }
  }

  private async claimsOf(codes: string[]): Promise<Map<string, LegacyCodeDoc>> {
    const found = await this.models.legacyCodes.find({ _id: { $in: codes } }).lean<LegacyCodeDoc[]>().exec();
    return new Map(found.map((claim) => [claim._id, claim]));
  }

  private async membersOf(ids: Types.ObjectId[]): Promise<Map<string, MemberDoc>> {
    if (!ids.length) return new Map();
    const found = await this.models.members.find({ _id: { $in: ids } }).lean<MemberDoc[]>().exec();
    return new Map(found.map((member) => [member._id.toHexString(), member]));
  }

  private answer(result: ImportRowResult, outcome: ImportOutcome, member: Pick<MemberDoc, '_id' | 'memberCode'> | null): void {
    result.outcome = outcome;
    result.memberId = member?._id.toHexString() ?? null;
    result.memberCode = member?.memberCode ?? null;
  }

  /** Dry run: the contacts other members hold (or an earlier row of the batch), read only. */
  private async preview(toRegister: Pending[], results: ImportRowResult[]): Promise<void> {
    const inBatch = new Map<string, number>();
    const holders = await this.registrations.holdersOf(toRegister.map((entry) => entry.row));
    for (const entry of toRegister) {
      const result = results[entry.index]!;
      this.answer(result, 'WOULD_CREATE', null);
      for (const kind of ['email', 'phone'] as const) {
        const value = entry.row[kind];
        if (!value) continue;
        const found = holders.get(`${kind}:${value}`);
        const holder = found && !(entry.memberId && found._id.equals(entry.memberId)) ? found : null;
        const earlier = inBatch.get(`${kind}:${value}`);
        if (holder) reportDuplicate(result, kind, holder);
        else if (earlier !== undefined) result.messages.push(`${kind} is the same as line ${earlier}'s: it would be left out`);
        else inBatch.set(`${kind}:${value}`, entry.row.line);
      }
    }
  }

  private async register(toRegister: Pending[], unchanged: Pending[], results: ImportRowResult[], actor: string): Promise<void> {
    const claimed = await this.claim(toRegister, results);
    const balances: ImportBalanceItem[] = [...unchanged, ...claimed]
      .filter((entry) => entry.row.lots.length > 0 || (entry.row.tier && entry.row.tier !== 'REGULAR'))
      .map((entry) => ({
        memberId: entry.memberId!.toHexString(),
        key: importKey(entry.row.legacyCode),
        lots: entry.row.lots.map((lot) => ({ points: lot.points, expiresAt: lot.expiresAt.toISOString() })),
        tier: entry.row.tier === 'REGULAR' ? null : entry.row.tier,
      }));
    const itemKey = `${IMPORT_BALANCES_OUTBOX_TYPE}:${new Types.ObjectId().toHexString()}`;
    const payload = { items: balances, actor };
    // written before the members, so a crash between them cannot lose a balance (see the class comment)
    if (balances.length) await this.outbox?.enqueue(itemKey, IMPORT_BALANCES_OUTBOX_TYPE, payload);
    const stored = await this.registrations.register(claimed.map((entry) => ({ row: entry.row, memberId: entry.memberId!, report: results[entry.index]! })));
    for (const entry of claimed) {
      const member = stored.get(entry.memberId!.toHexString());
      // a row not stored keeps its claim, so a rerun registers it under the same member (and the item above leaves
      // it out after its minute)
      if (member) this.answer(results[entry.index]!, member.created ? 'CREATED' : 'UNCHANGED', { _id: entry.memberId!, memberCode: member.memberCode });
    }
    if (!balances.length) return;
    const failed = new Set(claimed.filter((entry) => results[entry.index]!.outcome === 'INVALID').map((entry) => entry.memberId!.toHexString()));
    const sent = { items: balances.filter((item) => !failed.has(item.memberId)), actor };
    // the item waits a minute for a row that failed here: the stored rows go now in an item of their own (sent
    // twice then, the second a replay), rather than after that minute
    const runKey = failed.size ? `${IMPORT_BALANCES_OUTBOX_TYPE}:${new Types.ObjectId().toHexString()}` : itemKey;
    try {
      if (sent.items.length) await this.outbox?.runNow(runKey, IMPORT_BALANCES_OUTBOX_TYPE, failed.size ? sent : payload);
    } catch {
      // the item stays queued: the outbox worker sends it
    }
  }

  /**
   * Claims the codes not claimed yet, in one insert for the batch; where any clashed, a code another run claimed
   * meanwhile is read back (FerretDB's duplicate-key error does not say which), and its member is that run's. The entries claimed:
   * a code whose claim cannot be read back (removed meanwhile) is reported on its row, to be sent again.
   */
  private async claim(toRegister: Pending[], results: ImportRowResult[]): Promise<Pending[]> {
    const unclaimed = toRegister.filter((entry) => !entry.memberId);
    if (!unclaimed.length) return toRegister;
    const createdAt = this.clock();
    const docs = unclaimed.map((entry) => ({ _id: entry.row.legacyCode, memberId: new Types.ObjectId(), createdAt }));
    if (await insertManyOnce(this.models.legacyCodes, docs)) {
      unclaimed.forEach((entry, i) => (entry.memberId = docs[i]!.memberId));
      return toRegister;
    }
    const claims = await this.claimsOf(unclaimed.map((entry) => entry.row.legacyCode));
    for (const entry of unclaimed) {
      const claim = claims.get(entry.row.legacyCode);
      if (claim) entry.memberId = claim.memberId;
      else results[entry.index]!.messages.push('not imported: its code could not be claimed; send the row again');
    }
    return toRegister.filter((entry) => entry.memberId);
  }
}
