import { isPersonalised, messagesFor, type DeliveryMessage, type Personal } from './delivery-messages';

const hanako: Personal = {
  displayName: '山田花子',
  points: 12_345,
  tier: 'GOLD',
  expiring: { points: 1_200, expiresAt: new Date('2027-05-10T14:59:59.999Z') },
};

describe('placeholders', () => {
  it('are filled per recipient: name, balance, tier in Japanese, and the soonest expiry with its date in Japan', () => {
    const messages: DeliveryMessage[] = [{ type: 'text', text: '{displayName}さま({tier}) 残高{points}pt、{expiringPoints}ptが{expiresAt}に失効' }];
    expect(isPersonalised(messages)).toBe(true);
    expect(messagesFor(messages, hanako)).toEqual([{ type: 'text', text: '山田花子さま(ゴールド) 残高12,345pt、1,200ptが2027年5月10日(月)に失効' }]);
  });

  it('are filled in English in a text written in English: tier names and dates', () => {
    const messages: DeliveryMessage[] = [{ type: 'text', text: '{displayName} ({tier}): {expiringPoints} pt expire on {expiresAt}', locale: 'en' }];
    expect(messagesFor(messages, hanako)).toEqual([{ type: 'text', text: '山田花子 (Gold): 1,200 pt expire on Mon, May 10, 2027' }]);
  });

  it('show no expiry as 0 points and "-"', () => {
    const messages: DeliveryMessage[] = [{ type: 'text', text: '{expiringPoints}pt / {expiresAt}' }];
    expect(messagesFor(messages, { ...hanako, expiring: null })).toEqual([{ type: 'text', text: '0pt / -' }]);
  });

  it('are filled in one pass: a display name that looks like a placeholder stays as it is', () => {
    const messages: DeliveryMessage[] = [{ type: 'text', text: '{displayName}さま {points}pt' }];
    expect(messagesFor(messages, { ...hanako, displayName: '{points}' })).toEqual([{ type: 'text', text: '{points}さま 12,345pt' }]);
  });

  it('leave flex messages and unknown braces alone, which need no personalising', () => {
    const messages: DeliveryMessage[] = [
      { type: 'text', text: '{name}さま' },
      { type: 'flex', altText: '{displayName}', contents: { type: 'bubble' } },
    ];
    expect(isPersonalised(messages)).toBe(false);
    expect(messagesFor(messages, hanako)).toEqual([
      { type: 'text', text: '{name}さま' },
      { type: 'flex', altText: '{displayName}', contents: { type: 'bubble' } },
    ]);
  });
});
