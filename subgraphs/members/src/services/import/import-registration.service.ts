import type { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { insertManyOnce } from '@omo/lib/core/claims';
import { AppError } from '@omo/lib/core/errors';
import type { MembersModels } from '../../models';
import type { MemberDoc } from '../../models/member.model';
import type { MemberChangeHook } from '../../partner-events/member-events';
import { contactClaimKey, type ContactClaims, type ContactKind } from '../contact-claims';
import type { MemberDuplicates } from '../member-duplicates.service';
import type { MemberLookup } from '../member-lookup.service';
import type { SignUpService } from '../sign-up.service';
import type { ImportRow } from './import-row';

/** Rounds of "look the contacts' holders up, claim the contacts, insert the members" for the rows left waiting. */
const MAX_ROUNDS = 3;
/** Member inserts of one round that may clash on a drawn card code before the batch is refused. */
const MAX_CODE_ATTEMPTS = 5;
/** Every imported member carries it, so staff and segments can tell them apart (tags leaf). */
export const IMPORTED_TAG = 'imported';
const IMPORT_CALLER: Caller = { kind: 'service', service: 'import' };
const KINDS = ['email', 'phone'] as const;

/** The member import's key of an old code: the ledger entry's and the tier spend's idempotency key in points, the duplicate flag's source. */
export const importKey = (legacyCode: string): string => `import:${legacyCode}`;

export interface ImportDuplicate {
  kind: 'EMAIL' | 'PHONE';
  memberId: string;
  memberCode: string;
}

/** A row to register under the member id its code is claimed for, and where what happened to it is told. */
export interface RegistrationEntry {
  row: ImportRow;
  memberId: Types.ObjectId;
  report: { duplicateContacts: ImportDuplicate[]; messages: string[] };
}

/** A row's member as stored: by this call (created), or by another run of the same code. */
export interface StoredMember {
  memberCode: string;
  created: boolean;
}

type Contacts = Record<ContactKind, string | null>;
/** A contact left out of a row because an active member holds it. */
type LeftOut = { kind: ContactKind; value: string; holder: MemberDoc };

/**
 * The member import's registration, a batch at a time: what SignUpService.registerAs does for one member (the
 * checks, the contact claims, a fresh card code, member.registered queued before the member, the member insert
 * under a chosen id), in a few commands for the whole batch rather than four a row. Each step is one insert for the
 * batch (unordered) followed, only where something clashed, by one read of what it clashed with, since FerretDB's
 * duplicate-key error does not say which key. Crash points, in the order the writes are made:
 * - contact claims inserted: each names the member id, so the rerun of the code (same id) finds them its own; a
 *   registration elsewhere sees a claim whose member never appears and removes it after IN_FLIGHT_CLAIM_MS.
 * - member.registered items queued: they wait a minute for their members, then end having published nothing
 *   (rearmed once the members are stored).
 * - duplicates flagged (rows about to be inserted only): a flag is not shown until its member is stored; the rerun
 *   flags the same pair again (once).
 * - members inserted: the import's balances item, written before all this, sends their balances.
 * A contact an active member holds is left out, flagged and reported, never merged; two rows of a batch with one
 * contact: the first takes it, the later waits a round and is flagged as the first's duplicate. A row whose contact
 * is being registered by someone else (a fresh claim, no member yet) waits a round too, and after MAX_ROUNDS is
 * reported, to be sent again, its claims released.
 */
export class ImportRegistrations {
  constructor(
    private readonly models: MembersModels,
    private readonly signUp: SignUpService,
    private readonly contacts: ContactClaims,
    private readonly duplicates: MemberDuplicates,
    private readonly lookup: MemberLookup,
    private readonly memberEvents?: MemberChangeHook,
  ) {}

  /** Registers the entries; answers the members stored, by member id (a row not stored is told why on its report). */
  async register(entries: RegistrationEntry[]): Promise<Map<string, StoredMember>> {
    const stored = new Map<string, StoredMember>();
    const fields = new Map<RegistrationEntry, ReturnType<SignUpService['check']>>();
    for (const entry of entries) {
      try {
        fields.set(entry, this.signUp.check(IMPORT_CALLER, this.inputOf(entry.row), { contactRequired: false }));
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        entry.report.messages.push(`not imported: ${error.message}`);
      }
    }
    const contacts = new Map<RegistrationEntry, Contacts>([...fields.keys()].map((entry) => [entry, { email: entry.row.email, phone: entry.row.phone }]));
    let waiting = [...fields.keys()];
    const order = new Map(entries.map((entry, index) => [entry, index]));
    const leftOut = new Map<RegistrationEntry, LeftOut[]>();
    for (let round = 1; round <= MAX_ROUNDS && waiting.length; round += 1) {
      await this.leaveOutHeld(waiting, contacts, leftOut);
      const { now, later } = firstToEachContact(waiting, contacts);
      const held = await this.contacts.claimMany(now.flatMap((entry) => keysOf(contacts.get(entry)!).map((claim) => ({ ...claim, memberId: entry.memberId }))));
      const claimed = now.filter((entry) => keysOf(contacts.get(entry)!).every((claim) => held.has(contactClaimKey(claim.kind, claim.value))));
      // queued before the members, so a crash in between cannot lose an event (its handler waits for the member)
      await this.memberEvents?.beforeMany('member.registered', claimed.map((entry) => entry.memberId));
      // a claim older than the in-flight window before its member is stored can be taken over by a sign-up: read
      // the batch's claims again; a row that lost one waits a round (then its contact's holder, or a live claim)
      const kept = await this.contacts.stillHeld(claimed.flatMap((entry) => claimKeysOf(contacts.get(entry)!).map((key) => ({ key, memberId: entry.memberId }))));
      const ready = claimed.filter((entry) => claimKeysOf(contacts.get(entry)!).every((key) => kept.has(key)));
      // in row order, so the next round gives a contact to the earlier row of the batch, not to one that waited less
      waiting = [...later, ...now.filter((entry) => !ready.includes(entry))].sort((a, b) => order.get(a)! - order.get(b)!);
      await this.flagAndReport(ready, leftOut);
      const inserted = await this.insertMembers(ready, fields, contacts);
      for (const [id, member] of inserted) stored.set(id, member);
      // Crash point: members stored, items not rearmed: a fresh item still publishes, but one a dead run left given
      // up stays so (a rerun finds the member, UNCHANGED, and registers nothing); that takes two deaths in a row
      await this.memberEvents?.storedMany('member.registered', ready.filter((entry) => inserted.get(entry.memberId.toHexString())?.created).map((entry) => entry.memberId));
    }
    for (const [id, member] of await this.giveUp(waiting, contacts)) stored.set(id, member);
    return stored;
  }

  /**
   * The rows still waiting after MAX_ROUNDS: their claims released, but a concurrent run of the same code (a CLI
   * resend) may have stored the member meanwhile (one query for them all): that row is its member, UNCHANGED, and
   * the claims on contacts it holds stay its own, as insertMembers and SignUpService.releaseUnheld do.
   */
  private async giveUp(waiting: RegistrationEntry[], contacts: Map<RegistrationEntry, Contacts>): Promise<Map<string, StoredMember>> {
    const stored = new Map<string, StoredMember>();
    if (!waiting.length) return stored;
    const found = new Map(
      (await this.models.members.find({ _id: { $in: waiting.map((entry) => entry.memberId) } }).lean<MemberDoc[]>().exec()).map((member) => [member._id.toHexString(), member]),
    );
    for (const entry of waiting) {
      const member = found.get(entry.memberId.toHexString());
      if (member) stored.set(entry.memberId.toHexString(), { memberCode: member.memberCode, created: false });
      else entry.report.messages.push('not imported: its e-mail or phone is being registered by someone else; send the row again');
      const unheld = keysOf(contacts.get(entry)!).filter((claim) => member?.[claim.kind] !== claim.value);
      if (unheld.length) await this.contacts.release(unheld.map((claim) => contactClaimKey(claim.kind, claim.value)), entry.memberId);
    }
    return stored;
  }

  /**
   * The active members holding these contacts, by `<kind>:<value>`: one query per kind for the batch rather than
   * two per row (each row's look-up was a third of the batch's commands).
   */
  async holdersOf(contacts: Contacts[]): Promise<Map<string, MemberDoc>> {
    const holders = new Map<string, MemberDoc>();
    for (const kind of KINDS) {
      const values = [...new Set(contacts.map((contact) => contact[kind]).filter((value): value is string => Boolean(value)))];
      if (!values.length) continue;
      const found = await this.models.members.find({ [kind]: { $in: values }, status: { $in: ['ACTIVE', 'MERGED'] } }).lean<MemberDoc[]>().exec();
      for (const member of found) {
        const holder = await this.lookup.currentMember(member);
        if (holder?.status === 'ACTIVE') holders.set(`${kind}:${String(member[kind])}`, holder);
      }
    }
    return holders;
  }

  private inputOf(row: ImportRow) {
    return {
      displayName: row.displayName,
      email: row.email,
      phone: row.phone,
      registeredVia: 'STORE' as const,
      registeredStoreId: null,
      tags: [IMPORTED_TAG],
      birthday: row.birthday,
      marketingConsent: false,
      consentSource: 'STAFF' as const,
    };
  }

  /** Leaves out of each entry the contacts another active member holds, noting them for flagAndReport. */
  private async leaveOutHeld(entries: RegistrationEntry[], contacts: Map<RegistrationEntry, Contacts>, leftOut: Map<RegistrationEntry, LeftOut[]>): Promise<void> {
    const holders = await this.holdersOf(entries.map((entry) => contacts.get(entry)!));
    for (const entry of entries) {
      const own = contacts.get(entry)!;
      for (const kind of KINDS) {
        const value = own[kind];
        const holder = value ? holders.get(`${kind}:${value}`) : undefined;
        if (!value || !holder || holder._id.equals(entry.memberId)) continue;
        leftOut.set(entry, [...(leftOut.get(entry) ?? []), { kind, value, holder }]);
        own[kind] = null;
      }
    }
  }

  /** The rows about to be inserted only: flagged (before the member is stored) and told; a row given up is neither. */
  private async flagAndReport(entries: RegistrationEntry[], leftOut: Map<RegistrationEntry, LeftOut[]>): Promise<void> {
    for (const entry of entries) {
      for (const { kind, value, holder } of leftOut.get(entry) ?? []) {
        await this.duplicates.flag(entry.memberId, holder._id, { kind, value }, importKey(entry.row.legacyCode));
        reportDuplicate(entry.report, kind, holder);
      }
    }
  }

  /**
   * The members in one insert, each under its claimed id with a fresh card code. Where it clashed, the ids are read
   * back: a member stored with the code drawn here is this call's; with another code, a concurrent run of the same
   * code stored it first (its claims on contacts that member lacks are released); none, the clash was the card
   * code (some member's already), drawn again.
   */
  private async insertMembers(
    entries: RegistrationEntry[],
    fields: Map<RegistrationEntry, ReturnType<SignUpService['check']>>,
    contacts: Map<RegistrationEntry, Contacts>,
  ): Promise<Map<string, StoredMember>> {
    const stored = new Map<string, StoredMember>();
    let todo = entries;
    for (let attempt = 1; todo.length; attempt += 1) {
      if (attempt > MAX_CODE_ATTEMPTS) throw new Error(`no free card code for ${todo.length} imported members after ${MAX_CODE_ATTEMPTS} draws`);
      const codes = await this.signUp.freshCodes(todo.length);
      const docs = todo.map((entry, i) => ({ _id: entry.memberId, memberCode: codes[i]!, status: 'ACTIVE' as const, ...fields.get(entry)!, ...contacts.get(entry)! }));
      if (await insertManyOnce(this.models.members, docs as unknown as MemberDoc[])) {
        todo.forEach((entry, i) => stored.set(entry.memberId.toHexString(), { memberCode: codes[i]!, created: true }));
        return stored;
      }
      const found = new Map(
        (await this.models.members.find({ _id: { $in: todo.map((entry) => entry.memberId) } }).lean<MemberDoc[]>().exec()).map((member) => [member._id.toHexString(), member]),
      );
      const clashed: RegistrationEntry[] = [];
      for (const [i, entry] of todo.entries()) {
        const member = found.get(entry.memberId.toHexString());
        if (!member) {
          clashed.push(entry);
          continue;
        }
        const created = member.memberCode === codes[i];
        stored.set(entry.memberId.toHexString(), { memberCode: member.memberCode, created });
        const unheld = keysOf(contacts.get(entry)!).filter((claim) => member[claim.kind] !== claim.value);
        if (!created && unheld.length) await this.contacts.release(unheld.map((claim) => contactClaimKey(claim.kind, claim.value)), entry.memberId);
      }
      todo = clashed;
    }
    return stored;
  }
}

/** Tells the row a contact was left out because `holder` has it. */
export function reportDuplicate(report: RegistrationEntry['report'], kind: ContactKind, holder: MemberDoc): void {
  report.duplicateContacts.push({ kind: kind === 'email' ? 'EMAIL' : 'PHONE', memberId: holder._id.toHexString(), memberCode: holder.memberCode });
  report.messages.push(`${kind} belongs to member ${holder.memberCode} already: left out`);
}

function claimKeysOf(contacts: Contacts): string[] {
  return keysOf(contacts).map((claim) => contactClaimKey(claim.kind, claim.value));
}

function keysOf(contacts: Contacts): { kind: ContactKind; value: string }[] {
  return KINDS.flatMap((kind) => (contacts[kind] ? [{ kind, value: contacts[kind] }] : []));
}

/** The entries none of whose contacts an earlier entry has (now), and the rest (later: once the earlier is stored, a duplicate of it). */
function firstToEachContact(entries: RegistrationEntry[], contacts: Map<RegistrationEntry, Contacts>): { now: RegistrationEntry[]; later: RegistrationEntry[] } {
  const taken = new Set<string>();
  const now: RegistrationEntry[] = [];
  const later: RegistrationEntry[] = [];
  for (const entry of entries) {
    const keys = keysOf(contacts.get(entry)!).map((claim) => contactClaimKey(claim.kind, claim.value));
    if (keys.some((key) => taken.has(key))) {
      later.push(entry);
      continue;
    }
    now.push(entry);
    keys.forEach((key) => taken.add(key));
  }
  return { now, later };
}
