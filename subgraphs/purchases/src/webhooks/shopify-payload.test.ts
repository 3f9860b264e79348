import { parseShopifyJson, parseYen, ShopifyPayloadError } from './shopify-payload';

const json = (text: string) => parseShopifyJson(Buffer.from(text, 'utf8'));

describe('parseYen', () => {
  it.each([
    ['6020', 6020],
    ['6020.00', 6020],
    ['6020.0', 6020],
    [' 500 ', 500],
    ['0', 0],
    ['0.00', 0],
    ['-500', -500],
    ['-0', 0],
    [3018.0, 3018],
    [0, 0],
  ])('reads %p as %p yen', (value, yen) => {
    expect(parseYen(value, 'amount')).toBe(yen);
  });

  it.each(['6020.5', '0.01', '', 'abc', '1e3', '1,000', '¥1000', '12345678901234567890'])('refuses %p', (value) => {
    expect(() => parseYen(value, 'amount')).toThrow(ShopifyPayloadError);
  });

  it('refuses a JSON number with a fraction of a yen', () => {
    expect(() => parseYen(3018.5, 'amount')).toThrow(ShopifyPayloadError);
  });
});

describe('parseShopifyJson', () => {
  it('keeps 18-digit ids exact by reading them as strings', () => {
    expect(json('{"id": 820982911946154508, "order_id":-820982911946154508}')).toEqual({ id: '820982911946154508', order_id: '-820982911946154508' });
  });

  it('leaves ids that fit a double, amounts and other numbers as numbers', () => {
    expect(json('{"id": 5918273645012, "subtotal": 3018.0, "rate": 0.1, "n": [1, 2e3, -4]}')).toEqual({ id: 5918273645012, subtotal: 3018, rate: 0.1, n: [1, 2000, -4] });
  });

  it('never touches digits inside strings, escaped quotes included', () => {
    const text = '{"note": "order 820982911946154508, \\"id\\": 820982911946154508", "tags": "a\\\\", "id": 820982911946154508}';
    expect(json(text)).toEqual({ note: 'order 820982911946154508, "id": 820982911946154508', tags: 'a\\', id: '820982911946154508' });
  });

  it('reads UTF-8 text as it is', () => {
    expect(json('{"title": "信楽焼 湯呑み"}')).toEqual({ title: '信楽焼 湯呑み' });
  });

  it('reports a body that is not JSON as a payload error', () => {
    expect(() => json('{"id": ')).toThrow(ShopifyPayloadError);
  });
});
