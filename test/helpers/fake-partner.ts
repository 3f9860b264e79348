import { listen } from '@omo/lib/server/http';
import { PARTNER_HEADERS, verifyPartnerSignature, type SignatureCheck } from '@omo/lib/events/partner-signature';

/** One request as the receiver got it: the raw bytes, the headers it reads, and what its check said. */
export interface ReceivedDelivery {
  raw: string;
  eventId: string | undefined;
  topic: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  check: SignatureCheck;
  status: number;
}

/**
 * A partner's webhook endpoint on loopback, written as docs/events.md tells a partner to write one: it verifies
 * each request's X-Omo-Signature on the raw body with the subscription's secret (the documented
 * verifyPartnerSignature, 5 minutes' tolerance against the test's clock), answers 400 to a bad signature, and keeps
 * each event once by its verified body's `id` (a replay or a resend is answered 200 and not kept again). A test
 * sets the secret once the subscription is made, and the status it answers with (a 503 while "down").
 */
export interface FakePartner {
  url: string;
  secret: string;
  /** The status answered to a correctly signed request (200 unless the test makes it something else). */
  status: number;
  /** Every request, in arrival order. */
  received: ReceivedDelivery[];
  /** The events accepted, once each, in the order they were first accepted: their parsed bodies. */
  accepted: Record<string, unknown>[];
  /** From now on requests are read and kept but not answered until release() (a receiver that answers slowly). */
  hold(): void;
  /** Answers the requests held, and those that come after, at once. */
  release(): void;
  /** Requests read and not answered yet. */
  held(): number;
  close(): Promise<void>;
}

export async function startFakePartner(options: { now: () => Date }): Promise<FakePartner> {
  const seen = new Set<string>();
  let gate: { opened: Promise<void>; open: () => void; waiting: number } | null = null;
  const fake: Omit<FakePartner, 'url' | 'close'> = {
    secret: '',
    status: 200,
    received: [],
    accepted: [],
    hold() {
      let open = () => {};
      const opened = new Promise<void>((resolve) => (open = resolve));
      gate ??= { opened, open, waiting: 0 };
    },
    release() {
      gate?.open();
      gate = null;
    },
    held: () => gate?.waiting ?? 0,
  };
  const server = await listen(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    if (gate) {
      const current = gate;
      current.waiting += 1;
      await current.opened;
      current.waiting -= 1;
    }
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const check = verifyPartnerSignature(fake.secret, header(PARTNER_HEADERS.signature), raw, 300, options.now());
    const eventId = header(PARTNER_HEADERS.eventId);
    const status = check.valid ? fake.status : 400;
    fake.received.push({ raw, eventId, topic: header(PARTNER_HEADERS.topic), timestamp: header(PARTNER_HEADERS.timestamp), signature: header(PARTNER_HEADERS.signature), check, status });
    // the body's id, which the signature covers; the X-Omo-Event-Id header is not signed
    const event = check.valid ? (JSON.parse(raw) as Record<string, unknown>) : null;
    const id = typeof event?.id === 'string' ? event.id : undefined;
    if (status >= 200 && status < 300 && id && !seen.has(id)) {
      seen.add(id);
      fake.accepted.push(event!);
    }
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(status === 200 ? 'ok' : 'no');
  }, 0);
  return Object.assign(fake, { url: `${server.url}/hooks/omo`, close: () => server.close() });
}
