import express from 'express';
import { Schema, type Model } from 'mongoose';
import { z } from 'zod';
import { SERVICE_IDENTITY_HEADER, signServiceIdentity } from '@omo/lib/core/auth';
import { AppError, NotFoundError } from '@omo/lib/core/errors';
import { createLogger } from '@omo/lib/core/logger';
import { objectIdSchema } from '@omo/lib/core/validation';
import { contract, instant, route } from '@omo/lib/contracts/contract';
import { listen, type RunningHttpServer } from '@omo/lib/server/http';
import { internalClient, internalRouter, ServiceUnavailableError, type InternalHandlers } from '@omo/lib/server/internal-api';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';
import { rejection } from '@omo/tools/testing/errors';

const SECRET = 'internal-api-test-secret-0123456789abcdef';

/** A fake owner's contract: one route that writes, one whose answers the test chooses. */
const notesContract = contract('notes', {
  add: route('/internal/notes', z.object({ memberId: objectIdSchema(), text: z.string().min(1).max(20) }), z.object({ id: z.string(), at: instant })),
  echo: route('/internal/echo', z.object({ answer: z.record(z.string(), z.unknown()) }), z.object({ count: z.number().int() }), { message: 'answer is required', field: 'answer' }),
});

interface NoteDoc {
  memberId: string;
  text: string;
}

const AT = new Date('2026-06-01T09:30:00.000Z');

let db: TestDatabase;
let notes: Model<NoteDoc>;
let owner: RunningHttpServer;
let echoStatus: number;

beforeAll(async () => {
  db = await openTestDatabase();
  notes = db.connection.model<NoteDoc>('Note', new Schema<NoteDoc>({ memberId: String, text: String }));
  const handlers: InternalHandlers<typeof notesContract> = {
    add: async ({ memberId, text }) => {
      if (text === 'missing') throw new NotFoundError('Member');
      const note = await notes.create({ memberId, text });
      return { id: note._id.toHexString(), at: AT };
    },
    // the owner answering out of contract: whatever the test asks for, as it is
    echo: async ({ answer }) => answer as { count: number },
  };
  const app = express()
    .use('/echo-status', (_req, res) => void res.status(echoStatus).json({ error: { code: 'BAD_USER_INPUT', message: 'a proxy said so' } }))
    // what a proxy in front of the owner may answer: a redirect, or a page of its own instead of the owner's error
    .use('/proxy-status', (_req, res) => void res.status(echoStatus).set('location', '/elsewhere').type('html').send('<h1>moved or missing</h1>'))
    .use(internalRouter(notesContract, handlers, { internalSecret: SECRET, logger: createLogger('silent') }));
  owner = await listen(app, 0);
});

afterAll(async () => {
  await owner.close();
  await db.drop();
});

beforeEach(async () => {
  await notes.deleteMany({});
});

const client = (baseUrl = () => owner.url) => internalClient(notesContract, { directory: { baseUrl }, internalSecret: SECRET, service: 'caller' });
const MEMBER = '6650a1b2c3d4e5f601234567';

describe('a contract client', () => {
  it('sends the request and parses the reply by the contract (an instant comes back a Date)', async () => {
    const reply = await client().add({ memberId: MEMBER, text: 'hello' });
    expect(reply).toEqual({ id: expect.stringMatching(/^[0-9a-f]{24}$/), at: AT });
    expect(await notes.find({}, { _id: 0, memberId: 1, text: 1 }).lean()).toEqual([{ memberId: MEMBER, text: 'hello' }]);
  });

  it('treats a reply of the wrong shape as the owner failing: ServiceUnavailableError, which callers retry', async () => {
    const error = await client().echo({ answer: { count: 'three' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ service: 'notes', message: 'notes is unavailable: its reply to /internal/echo does not match the contract (count: Invalid input: expected number, received string)' });
    expect(await client().echo({ answer: { count: 3, extra: true } })).toEqual({ count: 3 });
  });

  it('rethrows the owner’s 4xx error as the AppError of its code and message', async () => {
    const error = await rejection(client().add({ memberId: MEMBER, text: 'missing' }));
    expect(error).toBeInstanceOf(AppError);
    expect(error.message).toBe('Member not found');
    expect(error.extensions).toEqual({ code: 'NOT_FOUND' });
  });

  it('makes a 5xx, a timeout status, a rate limit, a redirect, a 404 without the owner’s error and a refused connection ServiceUnavailableError, other 4xx the error sent', async () => {
    const viaStatus = (status: number) => {
      echoStatus = status;
      return client(() => `${owner.url}/echo-status`).add({ memberId: MEMBER, text: 'x' }).catch((e: unknown) => e);
    };
    for (const status of [500, 503, 408, 429]) expect(await viaStatus(status)).toMatchObject({ name: 'ServiceUnavailableError', message: `notes is unavailable: HTTP ${status}` });
    expect(await viaStatus(400)).toMatchObject({ name: 'AppError', message: 'a proxy said so', extensions: { code: 'BAD_USER_INPUT' } });
    const viaProxy = (status: number) => {
      echoStatus = status;
      return client(() => `${owner.url}/proxy-status`).add({ memberId: MEMBER, text: 'x' }).catch((e: unknown) => e);
    };
    // a redirect is not followed (the identity must not go to another address) and not the request's fault either
    for (const status of [301, 307, 308]) expect(await viaProxy(status)).toMatchObject({ name: 'ServiceUnavailableError', message: `notes is unavailable: HTTP ${status}` });
    // a 4xx without the owner's error in it came from something in between (a route not deployed yet): retried
    expect(await viaProxy(404)).toMatchObject({ name: 'ServiceUnavailableError', message: 'notes is unavailable: HTTP 404' });
    // the owner's body parser refusing a payload too large is about the request: the same one never passes
    expect(await viaProxy(413)).toMatchObject({ name: 'AppError', message: 'HTTP 413', extensions: { code: 'BAD_USER_INPUT' } });
    const closed = await listen(express(), 0);
    await closed.close();
    expect(await client(() => closed.url).add({ memberId: MEMBER, text: 'x' }).catch((e: unknown) => e)).toBeInstanceOf(ServiceUnavailableError);
  });
});

describe('a contract route on its owner', () => {
  const post = (path: string, body: unknown, identity = signServiceIdentity('caller', 'notes', SECRET)) =>
    fetch(`${owner.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', [SERVICE_IDENTITY_HEADER]: identity }, body: JSON.stringify(body) });

  it('answers a request its schema refuses with 400 BAD_USER_INPUT naming the field, and writes nothing', async () => {
    const response = await post('/internal/notes', { memberId: 'not-an-id', text: 'hello' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: 'BAD_USER_INPUT', message: 'memberId must be an id', details: { code: 'BAD_USER_INPUT', field: 'memberId' } },
    });
    const viaClient = await rejection(client().add({ memberId: MEMBER, text: '' }));
    expect(viaClient.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'text' });
    expect(await notes.countDocuments()).toBe(0);
  });

  it('answers a route’s one message for any refused request where the route declares one', async () => {
    for (const body of [{}, [], { answer: 5 }]) {
      const response = await post('/internal/echo', body);
      expect([response.status, await response.json()]).toEqual([
        400,
        { error: { code: 'BAD_USER_INPUT', message: 'answer is required', details: { code: 'BAD_USER_INPUT', field: 'answer' } } },
      ]);
    }
  });

  it('refuses a caller without this owner’s service identity (401), before reading the request', async () => {
    const response = await post('/internal/notes', { memberId: MEMBER, text: 'hello' }, signServiceIdentity('caller', 'other', SECRET));
    expect([response.status, await response.json()]).toEqual([401, { error: { code: 'UNAUTHENTICATED', message: 'Service credential required' } }]);
    expect(await notes.countDocuments()).toBe(0);
  });
});
