import { Writable } from 'node:stream';
import pino from 'pino';
import { barcodeRenderCount } from '@omo/members/src/services/barcode';
import { ok, startTestSystem, type TestSystem } from '../helpers/system';

const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }
`;

interface Member {
  id: string;
  memberCode: string;
}

let system: TestSystem;
let registered = 0;

beforeAll(async () => {
  system = await startTestSystem();
});
afterAll(() => system.close());

/** A new member each time: barcode renders are cached per code, so each test draws codes no other test drew. */
async function registerMember(on: TestSystem = system): Promise<Member> {
  registered += 1;
  const data = ok(
    await on.graphql<{ registerMember: Member }>(
      REGISTER,
      { input: { displayName: `会員${registered}`, email: `cost-${registered}@example.com`, registeredVia: 'ONLINE' } },
      on.staffHeaders(),
    ),
  );
  return data.registerMember;
}

function barcodeAliases(count: number): string {
  return Array.from({ length: count }, (_, i) => `b${i}: barcodeSvg`).join(' ');
}

const SVG = /^<svg [\s\S]*<\/svg>\s*$/;

describe('the cost of a query through the gateway', () => {
  it('refuses a customer’s 1,900 barcode renders as QUERY_TOO_COMPLEX before any barcode is drawn', async () => {
    const member = await registerMember();
    // 19 aliases of `me`, each spreading 100 aliased renders: 1,900 renders in a document of a few hundred tokens
    const query = `{ ${Array.from({ length: 19 }, (_, i) => `m${i}: me { card { ...Barcodes } }`).join(' ')} }
      fragment Barcodes on MemberCard { ${barcodeAliases(100)} }`;
    const before = barcodeRenderCount();

    const response = await system.graphql(query, {}, system.customerHeaders(member.id));

    expect({ status: response.status, data: response.data, errors: response.errors }).toEqual({
      status: 400,
      data: undefined,
      // each `me`: 1 + card (1 + 100 renders at the weight of 50 that barcodeSvg declares)
      errors: [{ message: 'Query cost 95038 exceeds the limit of 2000', extensions: { code: 'QUERY_TOO_COMPLEX', limit: 2000 } }],
    });
    expect(barcodeRenderCount()).toBe(before);
  });

  it('prices a document sent again anew when a variable its cost reads changes: the page size, an @include', async () => {
    const member = await registerMember();
    const query = `query Page($first: Int!, $draw: Boolean!) {
      me { purchases(first: $first) { nodes { id amountPaid } } card { ... @include(if: $draw) { ${barcodeAliases(40)} } } }
    }`;
    const ask = async (variables: { first: number; draw: boolean }) => {
      const response = await system.graphql(query, variables, system.customerHeaders(member.id));
      return { status: response.status, data: response.data, errors: response.errors };
    };
    const refused = (cost: number) => ({
      status: 400,
      data: undefined,
      errors: [{ message: `Query cost ${cost} exceeds the limit of 2000`, extensions: { code: 'QUERY_TOO_COMPLEX', limit: 2000 } }],
    });
    const answered = { status: 200, data: { me: { purchases: { nodes: [] }, card: {} } }, errors: undefined };

    // me 1 + purchases (1 + first × 3) + card (1, and 40 × 50 when drawn)
    expect(await ask({ first: 5, draw: false })).toEqual(answered);
    expect(await ask({ first: 1000, draw: false })).toEqual(refused(3003));
    expect(await ask({ first: 5, draw: true })).toEqual(refused(2018));
    expect(await ask({ first: 5, draw: false })).toEqual(answered);
  });

  it('answers a card with three barcodes, drawing each (code, format) once and later ones from the cache', async () => {
    const member = await registerMember();
    const query = `{ me { card { code a: barcodeSvg b: barcodeSvg(format: QR) c: barcodeSvg(format: CODE128) } } }`;
    const before = barcodeRenderCount();

    const first = ok(
      await system.graphql<{ me: { card: { code: string; a: string; b: string; c: string } } }>(
        query,
        {},
        system.customerHeaders(member.id),
      ),
    );

    const { code, a, b, c } = first.me.card;
    expect(code).toBe(member.memberCode);
    expect(a).toMatch(SVG);
    expect(b).toMatch(SVG);
    expect(b).not.toBe(a);
    expect(c).toBe(a);
    expect(barcodeRenderCount() - before).toBe(2);

    const again = ok(await system.graphql(query, {}, system.customerHeaders(member.id)));
    expect(again).toEqual(first);
    expect(barcodeRenderCount() - before).toBe(2);
  });
});

describe('a response larger than MAX_RESPONSE_BYTES', () => {
  interface LogLine {
    msg?: string;
    service?: string;
    requestId?: string;
    bytes?: number;
    limit?: number;
  }
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  let capped: TestSystem;
  let member: Member;
  beforeAll(async () => {
    capped = await startTestSystem({ MAX_RESPONSE_BYTES: '2000' }, pino({ level: 'warn' }, sink));
    member = await registerMember(capped);
  });
  afterAll(() => capped.close());

  it('is replaced by a RESPONSE_TOO_LARGE error, and logged with its size', async () => {
    const response = await fetch(capped.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'too-large-1', ...capped.customerHeaders(member.id) },
      body: JSON.stringify({ query: `{ me { card { ${barcodeAliases(3)} } } }` }),
    });

    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 200,
      body: {
        data: null,
        errors: [
          {
            message: 'The response is larger than 2000 bytes; ask for fewer fields, aliases or items',
            extensions: { code: 'RESPONSE_TOO_LARGE', limit: 2000 },
          },
        ],
      },
    });
    const logged = lines.filter((l) => l.requestId === 'too-large-1' && l.msg === 'response too large');
    expect(logged).toEqual([expect.objectContaining({ service: 'gateway', limit: 2000, bytes: expect.any(Number) })]);
    expect(logged[0]!.bytes).toBeGreaterThan(2000);
  });

  it('leaves a response within the limit as it is', async () => {
    const response = await capped.graphql(`{ me { id card { code } } }`, {}, capped.customerHeaders(member.id));
    expect({ status: response.status, data: response.data, errors: response.errors }).toEqual({
      status: 200,
      data: { me: { id: member.id, card: { code: member.memberCode } } },
      errors: undefined,
    });
  });
});
