import { Types } from 'mongoose';
import { actorOf, requireAdmin, type Caller } from '@omo/lib/core/auth';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import { AlreadyExistsError, AppError, BadUserInputError } from '@omo/lib/core/errors';
import { mapLimit } from '@omo/lib/core/concurrency';
import type { Outbox } from '@omo/lib/outbox/outbox';
import type { MembersModels } from '../../models';
import type { LegacyCodeDoc } from '../../models/legacy-code.model';
import type { MemberDoc } from '../../models/member.model';
import type { ContactKind } from '../contact-claims';
import type { MemberDuplicates } from '../member-duplicates.service';
import type { MemberLookup } from '../member-lookup.service';
import type { SignUpService } from '../sign-up.service';
import { IMPORT_BALANCES_OUTBOX_TYPE, type ImportBalanceItem } from './import-balances.handler';
import { parseImportRow, type ImportRow, type ImportRowInput } from './import-row';

/** Rows one importMembers call takes. */
export const MAX_IMPORT_ROWS = 500;
/** Registrations of one batch run at once: each is a few commands on its own member. */
const PARALLEL_REGISTRATIONS = 8;
/** Rounds of "look the contacts' holders up, register, find a holder that appeared meanwhile". */
const MAX_REGISTER_ATTEMPTS = 3;
/** Every imported member carries it, so staff and segments can tell them apart (tags leaf). */
export const IMPORTED_TAG = 'imported';
const IMPORT_CALLER: Caller = { kind: 'service', service: 'import' };

export type ImportOutcome = 'CREATED' | 'UNCHANGED' | 'WOULD_CREATE' | 'INVALID';

export interface ImportDuplicate {
  kind: 'EMAIL' | 'PHONE';
  memberId: string;
  memberCode: string;
}

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

/** The member import's key of an old code: the ledger entry's and the tier spend's idempotency key in points. */
export const importKey = (legacyCode: string): string => `import:${legacyCode}`;

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
 * - a duplicate flagged, contact claimed, member not inserted: the flag is not shown until its member is; the
 *   contact claim names the member id, so the completing run shares it (SignUpService.registerAs).
 * - member inserted, balances not sent: the item is durable, and the worker sends it.
 * Two runs of one code at once both register under the claimed id: the member insert under one id is the decision
 * (registerAs answers the loser `created: false`). A member registered this way is a STORE member registered by
 * staff (consent not granted, source STAFF; tag `imported`) and gets no sign-up bonus.
 */
export class MemberImportService {
  constructor(
    private readonly models: MembersModels,
    private readonly signUp: SignUpService,
    private readonly duplicates: MemberDuplicates,
    private readonly lookup: MemberLookup,
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
    rows.forEach((input, index) => {
      const parsed = parseImportRow(input, now);
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

  private answer(result: ImportRowResult, outcome: ImportOutcome, member: MemberDoc | null): void {
    result.outcome = outcome;
    result.memberId = member?._id.toHexString() ?? null;
    result.memberCode = member?.memberCode ?? null;
  }

  /** Dry run: the contacts other members hold (or an earlier row of the batch), read only. */
  private async preview(toRegister: Pending[], results: ImportRowResult[]): Promise<void> {
    const inBatch = new Map<string, number>();
    const holders = await this.holdersOf(toRegister);
    for (const entry of toRegister) {
      const result = results[entry.index]!;
      this.answer(result, 'WOULD_CREATE', null);
      for (const kind of ['email', 'phone'] as const) {
        const value = entry.row[kind];
        if (!value) continue;
        const found = holders.get(`${kind}:${value}`);
        const holder = found && !(entry.memberId && found._id.equals(entry.memberId)) ? found : null;
        const earlier = inBatch.get(`${kind}:${value}`);
        if (holder) this.reportDuplicate(result, kind, holder);
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
    const holders = await this.holdersOf(claimed);
    await mapLimit(claimed, PARALLEL_REGISTRATIONS, async (entry) => {
      const result = results[entry.index]!;
      try {
        const { member, created } = await this.registerRow(entry, result, holders);
        this.answer(result, created ? 'CREATED' : 'UNCHANGED', member);
      } catch (error) {
        // one row's trouble is that row's: its claim stays, so a rerun registers it under the same member (and the
        // item above leaves it out after its minute); anything else, a database failure, fails the batch for resending
        if (!(error instanceof RowNotImported) && !(error instanceof AppError)) throw error;
        result.messages.push(error instanceof RowNotImported ? error.message : `not imported: ${error.message}`);
      }
    });
    if (!balances.length) return;
    const failed = new Set(claimed.filter((entry) => results[entry.index]!.outcome === 'INVALID').map((entry) => entry.memberId!.toHexString()));
    const stored = { items: balances.filter((item) => !failed.has(item.memberId)), actor };
    // the item waits a minute for a row that failed here: the stored rows go now in an item of their own (sent
    // twice then, the second a replay), rather than after that minute
    const runKey = failed.size ? `${IMPORT_BALANCES_OUTBOX_TYPE}:${new Types.ObjectId().toHexString()}` : itemKey;
    try {
      if (stored.items.length) await this.outbox?.runNow(runKey, IMPORT_BALANCES_OUTBOX_TYPE, failed.size ? stored : payload);
    } catch {
      // the item stays queued: the outbox worker sends it
    }
  }

  /**
   * Claims the codes not claimed yet, in one insert for the batch; a code another run claimed meanwhile is read
   * back (FerretDB's duplicate-key error does not say which), and its member is that run's. The entries claimed:
   * a code whose claim cannot be read back (removed meanwhile) is reported on its row, to be sent again.
   */
  private async claim(toRegister: Pending[], results: ImportRowResult[]): Promise<Pending[]> {
    const unclaimed = toRegister.filter((entry) => !entry.memberId);
    if (!unclaimed.length) return toRegister;
    const createdAt = this.clock();
    const docs = unclaimed.map((entry) => ({ _id: entry.row.legacyCode, memberId: new Types.ObjectId(), createdAt }));
    try {
      await this.models.legacyCodes.insertMany(docs, { ordered: false });
    } catch (error) {
      if (!isDuplicateKeyError(error) && !hasOnlyDuplicateKeyErrors(error)) throw error;
    }
    const claims = await this.claimsOf(unclaimed.map((entry) => entry.row.legacyCode));
    for (const entry of unclaimed) {
      const claim = claims.get(entry.row.legacyCode);
      if (claim) entry.memberId = claim.memberId;
      else results[entry.index]!.messages.push('not imported: its code could not be claimed; send the row again');
    }
    return toRegister.filter((entry) => entry.memberId);
  }

  /** The member under the claim's id, without any contact another member holds (flagged and reported instead). */
  private async registerRow(entry: Pending, result: ImportRowResult, known: Map<string, MemberDoc>): Promise<{ member: MemberDoc; created: boolean }> {
    const memberId = entry.memberId!;
    const contacts: Record<ContactKind, string | null> = { email: entry.row.email, phone: entry.row.phone };
    for (let attempt = 1; attempt <= MAX_REGISTER_ATTEMPTS; attempt += 1) {
      for (const kind of ['email', 'phone'] as const) {
        const value = contacts[kind];
        // the batch's look-up first; a later round looks again, for the holder that made the last one fail
        const holder = value && (attempt === 1 ? (known.get(`${kind}:${value}`) ?? null) : await this.holderOf(kind, value, memberId));
        if (!value || !holder || holder._id.equals(memberId)) continue;
        // flagged before the member is stored, so a crash in between cannot lose the flag
        await this.duplicates.flag(memberId, holder._id, { kind, value }, importKey(entry.row.legacyCode));
        this.reportDuplicate(result, kind, holder);
        contacts[kind] = null;
      }
      try {
        return await this.signUp.registerAs(
          IMPORT_CALLER,
          {
            displayName: entry.row.displayName,
            ...contacts,
            registeredVia: 'STORE',
            registeredStoreId: null,
            tags: [IMPORTED_TAG],
            birthday: entry.row.birthday,
            marketingConsent: false,
            consentSource: 'STAFF',
          },
          memberId,
          // the old system may be Smaregi itself, holding the member already (docs/member-import.md)
          { signupBonus: false, contactRequired: false, smaregiCustomer: false },
        );
      } catch (error) {
        // a holder appeared between the look-up and the claim: looked up again, and the contact left out
        if (!(error instanceof AlreadyExistsError)) throw error;
      }
    }
    throw new RowNotImported('not imported: its e-mail or phone is being registered by someone else; send the row again');
  }

  private reportDuplicate(result: ImportRowResult, kind: ContactKind, holder: MemberDoc): void {
    result.duplicateContacts.push({ kind: kind === 'email' ? 'EMAIL' : 'PHONE', memberId: holder._id.toHexString(), memberCode: holder.memberCode });
    result.messages.push(`${kind} belongs to member ${holder.memberCode} already: left out`);
  }

  /**
   * The active members holding the batch's contacts, by `<kind>:<value>`: one query per kind for the batch rather
   * than two per row (each row's look-up was a third of the batch's commands).
   */
  private async holdersOf(entries: Pending[]): Promise<Map<string, MemberDoc>> {
    const holders = new Map<string, MemberDoc>();
    for (const kind of ['email', 'phone'] as const) {
      const values = [...new Set(entries.map((entry) => entry.row[kind]).filter((value): value is string => Boolean(value)))];
      if (!values.length) continue;
      const found = await this.models.members.find({ [kind]: { $in: values }, status: { $in: ['ACTIVE', 'MERGED'] } }).lean<MemberDoc[]>().exec();
      for (const member of found) {
        const holder = await this.lookup.currentMember(member);
        if (holder?.status === 'ACTIVE') holders.set(`${kind}:${String(member[kind])}`, holder);
      }
    }
    return holders;
  }

  /** The active member other than `self` holding this contact (a merged holder's survivor), or null. */
  private async holderOf(kind: ContactKind, value: string, self: Types.ObjectId | null): Promise<MemberDoc | null> {
    const found = await this.models.members.findOne({ [kind]: value, status: { $in: ['ACTIVE', 'MERGED'] } }).lean<MemberDoc>().exec();
    const holder = found && (await this.lookup.currentMember(found));
    return holder?.status === 'ACTIVE' && !(self && holder._id.equals(self)) ? holder : null;
  }
}

/** A row that cannot be carried out now but may be on a rerun: reported on its row, the batch going on. */
class RowNotImported extends Error {}

/** insertMany with ordered: false reports every clash in one bulk error; only clashes are a claim lost. */
function hasOnlyDuplicateKeyErrors(error: unknown): boolean {
  const writeErrors = (error as { writeErrors?: { code?: number; errmsg?: string }[] } | null)?.writeErrors;
  return Array.isArray(writeErrors) && writeErrors.length > 0 && writeErrors.every((writeError) => isDuplicateKeyError({ code: writeError.code, message: writeError.errmsg }));
}
