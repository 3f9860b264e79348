import { Types } from 'mongoose';
import type { MemberDoc } from '../models/member.model';
import { currentMemberOf } from './merge-chain';

/** A chain of `length` members, each but the last merged into the next. */
function chain(length: number): MemberDoc[] {
  const ids = Array.from({ length }, () => new Types.ObjectId());
  return ids.map((id, i) => ({
    _id: id,
    memberCode: `29${String(i).padStart(11, '0')}`,
    displayName: `会員${i}`,
    registeredVia: 'ONLINE',
    tags: [],
    status: i < length - 1 ? 'MERGED' : 'ACTIVE',
    mergedIntoId: ids[i + 1] ?? null,
    createdAt: new Date('2030-04-01T00:00:00.000Z'),
    updatedAt: new Date('2030-04-01T00:00:00.000Z'),
  }));
}

function loader(members: MemberDoc[]): { load: (id: Types.ObjectId) => Promise<MemberDoc | null>; reads: string[] } {
  const reads: string[] = [];
  const byId = new Map(members.map((m) => [m._id.toHexString(), m]));
  const load = async (id: Types.ObjectId) => {
    reads.push(id.toHexString());
    return byId.get(id.toHexString()) ?? null;
  };
  return { load, reads };
}

describe('currentMemberOf', () => {
  it('answers an unmerged member with itself, reading nothing', async () => {
    const [member] = chain(1);
    const { load, reads } = loader([member!]);
    await expect(currentMemberOf(member!, load)).resolves.toBe(member);
    expect(reads).toEqual([]);
  });

  it('follows merges of merges to the member at the end, one read per merge', async () => {
    const members = chain(4);
    const { load, reads } = loader(members);
    await expect(currentMemberOf(members[0]!, load)).resolves.toBe(members[3]);
    expect(reads).toEqual(members.slice(1).map((m) => m._id.toHexString()));
  });

  it('answers null when a member in the chain has gone', async () => {
    const members = chain(3);
    const { load } = loader([members[0]!, members[2]!]);
    await expect(currentMemberOf(members[0]!, load)).resolves.toBeNull();
  });

  it('stops after 10 merges, answering the member reached then', async () => {
    const members = chain(12);
    const { load, reads } = loader(members);
    await expect(currentMemberOf(members[0]!, load)).resolves.toBe(members[10]);
    expect(reads).toHaveLength(10);
  });
});
