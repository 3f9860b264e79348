import { Types } from 'mongoose';
import { mapLimit } from '@omo/lib/core/concurrency';
import { isDuplicateKeyError } from '@omo/lib/core/db';
import type { LedgerEntryDoc, LedgerEntryModel } from '../models/ledger-entry.model';
import type { PointAccountModel } from '../models/point-account.model';
import { refreshSnapshot, snapshotOf, type AppendNotice, type AppendWatcher, type Build, type EntryContext } from './ledger-append';
import { emptyState, entryFieldsFor } from './lots';

/** A member's first entry as the append protocol would write it on an empty ledger. */
export interface FirstEntry {
  memberId: string;
  idempotencyKey: string;
  context: EntryContext;
  build: Build;
}

/** Watchers told at once: each note is a write of its own member. */
const PARALLEL_NOTES = 8;

/**
 * Many members' FIRST entries in one insert, for a bulk import of new members: the append protocol (ledger-append.ts)
 * run for members whose ledger is empty, without reading it. Each entry is the one append() would write on an empty
 * head (seq 1, built from the empty state, the watcher told before and after), so the unique indexes on
 * (memberId, seq) and on the key decide exactly as they do there: an entry refused by either (the member has
 * entries already, or this key was written by an earlier run) is not written, and the caller appends it the
 * ordinary way, which reads the head and the key. Crash points:
 * - watchers told, entries not inserted: as in append(), a note without its entry, whose retry finds the key.
 * - entries inserted, snapshots not: a missing snapshot, as after append() dies before refreshing it (readers and
 *   the next append read the ledger's head).
 * - inserted, watchers not told `inserted`: the retry's append finds the key and tells them (its note is not fresh).
 */
export class LedgerFirstEntries {
  constructor(
    private readonly ledger: LedgerEntryModel,
    private readonly accounts: PointAccountModel,
    private readonly clock: () => Date,
    private readonly watcher: AppendWatcher | null,
  ) {}

  /**
   * Inserts each member's first entry; answers, by index, the entry written, or undefined where this did not write
   * one (refused by an index, or `build` found nothing to write): the caller appends those one by one.
   */
  async insert(firsts: FirstEntry[]): Promise<(LedgerEntryDoc | undefined)[]> {
    const now = this.clock();
    const built = await Promise.all(
      firsts.map(async (first) => {
        const state = emptyState(first.memberId);
        const entryId = new Types.ObjectId();
        const change = await first.build(state, now, entryId);
        if (!change) return undefined;
        const entry: LedgerEntryDoc = { _id: entryId, ...first.context, ...entryFieldsFor(state, change), createdAt: now, idempotencyKey: first.idempotencyKey, requestDigest: null };
        return entry;
      }),
    );
    const entries = built.filter((entry): entry is LedgerEntryDoc => Boolean(entry));
    if (!entries.length) return built.map(() => undefined);
    const notices = this.watcher ? await mapLimit(entries, PARALLEL_NOTES, (entry) => this.watcher!.before(entry.memberId, entry.idempotencyKey)) : [];
    const written = await this.insertAll(entries);
    await this.snapshots(entries.filter((entry) => written.has(entry._id.toHexString())));
    // as in append(): a note that was there already is a retry's, told even when this insert lost to its key
    const toTell = notices.filter((notice, index) => written.has(entries[index]!._id.toHexString()) || !notice.fresh);
    await mapLimit(toTell, PARALLEL_NOTES, (notice: AppendNotice) => this.watcher!.inserted(notice));
    return built.map((entry) => (entry && written.has(entry._id.toHexString()) ? entry : undefined));
  }

  /**
   * The ids of the entries stored. An unordered insert writes every entry no index refuses; FerretDB's duplicate-key
   * errors do not say which key clashed, so after a refusal the batch's own fresh ids are read back.
   */
  private async insertAll(entries: LedgerEntryDoc[]): Promise<Set<string>> {
    const ids = entries.map((entry) => entry._id.toHexString());
    try {
      await this.ledger.insertMany(entries, { ordered: false });
      return new Set(ids);
    } catch (error) {
      if (!onlyDuplicateKeys(error)) throw error;
      const stored = await this.ledger.find({ _id: { $in: entries.map((entry) => entry._id) } }, { _id: 1 }).lean<{ _id: Types.ObjectId }[]>().exec();
      return new Set(stored.map((entry) => entry._id.toHexString()));
    }
  }

  /** The new accounts' snapshots in one insert; one there already (a lost race, a rerun) is moved up as append() does. */
  private async snapshots(entries: LedgerEntryDoc[]): Promise<void> {
    if (!entries.length) return;
    try {
      await this.accounts.insertMany(
        entries.map((entry) => ({ _id: entry.memberId, ...snapshotOf(entry) })),
        { ordered: false },
      );
    } catch (error) {
      if (!onlyDuplicateKeys(error)) throw error;
      await mapLimit(entries, PARALLEL_NOTES, (entry) => refreshSnapshot(this.accounts, entry));
    }
  }
}

/** A bulk insert refused only by unique indexes (a duplicate key for each document it left out). */
function onlyDuplicateKeys(error: unknown): boolean {
  if (isDuplicateKeyError(error)) return true;
  const writeErrors = (error as { writeErrors?: { code?: number; errmsg?: string }[] } | null)?.writeErrors;
  return Array.isArray(writeErrors) && writeErrors.length > 0 && writeErrors.every((writeError) => isDuplicateKeyError({ code: writeError.code, message: writeError.errmsg }));
}
