import { transactionDetail, transactionHead, type FakeFields } from '../../../../../test/helpers/fake-smaregi-records';
import type { SmaregiTransaction } from '../smaregi-api';
import { kindOf, mapSale, SmaregiTransactionError } from './transaction-map';

const AT = new Date('2026-02-10T07:36:27.000Z');

/** A transaction as GET /pos/transactions/{id}?with_details=all answers it (the fake's records: all strings). */
function tx(head: FakeFields, details: FakeFields[]): SmaregiTransaction {
  return { ...transactionHead('28', AT, head), details: details.map((d, i) => transactionDetail('28', i, d)) } as unknown as SmaregiTransaction;
}

const coffee = { productId: '11', productCode: '4901234567894', productName: 'ブレンドコーヒー', salesPrice: 450, price: 450, quantity: 2, unitDiscountedSum: 900 };
const cake = { productId: '12', productCode: 'CAKE-01', productName: 'チーズケーキ', salesPrice: 500, price: 500, quantity: 1, unitDiscountPrice: 50, unitDiscountedSum: 450 };

describe('a Smaregi sale as a purchase', () => {
  test('lines at their selling price; line, subtotal and coupon discounts in the discount; points one yen each, taken off after', () => {
    const sale = mapSale(
      tx({ subtotal: 1350, subtotalDiscountPrice: 100, couponDiscount: 50, pointDiscount: 200, spendPoint: 200, total: 1000, customerId: '7', terminalId: '3', terminalTranId: '120' }, [coffee, cake]),
    );
    expect(sale).toEqual({
      lines: [
        { sku: '4901234567894', name: 'ブレンドコーヒー', unitPrice: 450, quantity: 2, category: null },
        { sku: 'CAKE-01', name: 'チーズケーキ', unitPrice: 500, quantity: 1, category: null },
      ],
      // 1400 at selling prices; 50 off the cake, 100 off the subtotal, 50 of Smaregi's coupon
      discount: 200,
      total: 1200,
      pointsToRedeem: 200,
      occurredAt: AT,
      customerId: '7',
      receipt: '0000000028',
      terminalId: '3',
      terminalTranId: '120',
    });
  });

  test('a line that is not a sale (salesDivision 1: a gift certificate, a deposit) is paid but earns nothing, like shipping', () => {
    const giftCard = { productId: '90', productCode: 'GIFT-3000', productName: '商品券', salesPrice: 3000, price: 3000, quantity: 1, unitDiscountedSum: 3000, salesDivision: '1' };
    const sale = mapSale(tx({ subtotal: 3900, total: 3900 }, [coffee, giftCard]));
    expect({ lines: sale.lines.map((l) => l.sku), total: sale.total, discount: sale.discount }).toEqual({ lines: ['4901234567894'], total: 900, discount: 0 });
  });

  test('a tax-exclusive store: the tax Smaregi adds to total earns nothing, like rounding', () => {
    const sale = mapSale(tx({ subtotal: 900, total: 989, taxExclude: 90, roundingPrice: -1 }, [coffee]));
    expect({ total: sale.total, discount: sale.discount }).toEqual({ total: 900, discount: 0 });
  });

  test('one product on two lines is one line at one price, and kept apart by detail at two prices', () => {
    const one = mapSale(tx({ subtotal: 1350, total: 1350 }, [coffee, { ...coffee, quantity: 1, unitDiscountedSum: 450 }]));
    expect(one.lines).toEqual([{ sku: '4901234567894', name: 'ブレンドコーヒー', unitPrice: 450, quantity: 3, category: null }]);
    const two = mapSale(tx({ subtotal: 1300, total: 1300 }, [coffee, { ...coffee, salesPrice: 400, quantity: 1, unitDiscountedSum: 400 }]));
    expect(two.lines.map((l) => [l.sku, l.unitPrice, l.quantity])).toEqual([
      ['detail:1', 450, 2],
      ['detail:2', 400, 1],
    ]);
  });

  test('a line without a product code is its product, or (a department sale) the line itself', () => {
    const sale = mapSale(tx({ subtotal: 1400, total: 1400 }, [{ ...coffee, productCode: null }, { ...cake, productId: null, productCode: null, productName: null, unitDiscountPrice: 0, unitDiscountedSum: 500 }]));
    expect(sale.lines.map((l) => [l.sku, l.name])).toEqual([
      ['product:11', 'ブレンドコーヒー'],
      ['detail:2', 'detail:2'],
    ]);
  });

  test.each([
    ['lines that are not the subtotal', { subtotal: 1000, total: 1000 }, 'the lines add up to 900, not the subtotal 1000'],
    ['a total that is not the goods less points', { subtotal: 900, total: 800 }, 'total 800 is not the goods 900 − pointDiscount 0 + tax, rounding, commission and carriage 0'],
    ['points worth another rate', { subtotal: 900, pointDiscount: 200, spendPoint: 100, total: 700 }, 'spendPoint 100 took 200 yen off: only 1 yen a point is supported'],
    ['fractions of a yen', { subtotal: '900.5', total: 900 }, 'subtotal "900.5" is not a whole number'],
  ])('%s is refused with its reason', (_name, head, reason) => {
    expect(() => mapSale(tx(head, [coffee]))).toThrow(new SmaregiTransactionError(reason));
  });
});

describe('what a transaction is', () => {
  test.each([
    ['ポイント加算 (our own point update)', { transactionHeadDivision: 6 }, [coffee], { kind: 'not-a-sale', division: '6' }],
    ['入金', { transactionHeadDivision: 2 }, [coffee], { kind: 'not-a-sale', division: '2' }],
    ['取消', { cancelDivision: 1 }, [coffee], { kind: 'voided' }],
    ['返品取消', { disposeDivision: 2, disposeServerTransactionHeadId: '25' }, [coffee], { kind: 'undo', originalId: '25' }],
    ['a sale', {}, [coffee, cake], { kind: 'sale' }],
  ])('%s', (_name, head, details, kind) => {
    expect(kindOf(tx(head, details))).toEqual(kind);
  });

  test('a return: its lines by sku and quantity, whatever sign Smaregi gives them', () => {
    const ret = tx({ customerId: '7' }, [
      { ...coffee, transactionDetailDivision: 2, quantity: -1 },
      { ...coffee, transactionDetailDivision: 2, quantity: 1 },
      { ...cake, transactionDetailDivision: 2, quantity: -1 },
    ]);
    expect(kindOf(ret)).toEqual({ kind: 'return', lines: [{ sku: '4901234567894', quantity: 2 }, { sku: 'CAKE-01', quantity: 1 }], customerId: '7', occurredAt: AT });
  });

  test('an exchange (sold and returned lines in one sale) is left to staff', () => {
    expect(() => kindOf(tx({}, [coffee, { ...cake, transactionDetailDivision: 2 }]))).toThrow('a sale with returned lines (an exchange): record its parts by hand');
  });
});
