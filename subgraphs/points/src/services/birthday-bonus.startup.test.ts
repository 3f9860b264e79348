import express from 'express';
import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { ensureIndexes } from '@omo/lib/core/db';
import { listen, type RunningHttpServer } from '@omo/lib/server/http';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { testBuildOptions } from '@omo/tools/testing/subgraph';
import { buildPointsSubgraph } from '../server';

/** The birthday bonus as a started points process gives it, members answering from a stand-in of its routes. */
const ADMIN: Caller = { kind: 'staff', staffId: 'staff-1', role: 'ADMIN' };
/** 20 May 2027, 12:00 JST. */
const NOW = new Date('2027-05-20T03:00:00.000Z');

let db: TestDatabase;
let members: RunningHttpServer;
const born = new Types.ObjectId().toHexString();

beforeAll(async () => {
  db = await openTestDatabase();
  await ensureIndexes(db.connection);
  const app = express().use(express.json());
  app.post('/internal/members/birthdays', (req, res) => {
    const body = req.body as { month: number };
    res.json({ members: body.month === 5 ? [{ memberId: born, birthday: '1990-05-20' }] : [], next: null });
  });
  app.post('/internal/members/exists', (req, res) => res.json({ existing: (req.body as { ids: string[] }).ids }));
  members = await listen(app, 0);
});
afterAll(async () => {
  await members.close();
  await db.drop();
});

describe('points started', () => {
  it('runs the birthday bonus at once rather than an hour later', async () => {
    const points = buildPointsSubgraph(testBuildOptions(db.connection, { clock: () => NOW, services: { baseUrl: () => members.url } }));
    await points.deps.policy.setPointsPolicy(ADMIN, { birthdayBonusPoints: 300 });
    // stopping waits for a run under way, so what the start-up run wrote is there once it returns
    await points.startBackground!().stop();
    const entries = await points.deps.models.ledger.find({ memberId: born }, { type: 1, amount: 1, idempotencyKey: 1, _id: 0 }).lean();
    expect(entries).toEqual([{ type: 'BONUS', amount: 300, idempotencyKey: `birthday:${born}:2027` }]);
  });
});
