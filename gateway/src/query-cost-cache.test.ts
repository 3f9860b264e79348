import { parse } from 'graphql';
import { CostEstimateCache, type CostEstimate } from './query-cost-cache';

const PAGE = 'query Page($id: ID!, $first: Int, $full: Boolean!) { member(id: $id) { purchases(first: $first) { nodes { id total @include(if: $full) } } } }';

/** A cache, and an estimate that counts how often it was made (it prices `first` and `full`, as the real one would). */
function pricing() {
  const cache = new CostEstimateCache(new Set(['first']));
  const document = parse(PAGE);
  let made = 0;
  // like the real one, it makes nothing of variables that do not coerce (a page size that is not an Int)
  const estimate = (variables: Record<string, unknown>): CostEstimate | undefined =>
    cache.estimate({ queryHash: 'hash-of-page', document, name: 'Page', variables }, () => {
      made += 1;
      if (variables.first !== undefined && variables.first !== null && !Number.isInteger(variables.first)) return undefined;
      return 1 + Number(variables.first ?? 20) * (variables.full ? 2 : 1);
    });
  return { estimate, made: () => made };
}

describe('CostEstimateCache', () => {
  it('estimates an operation once for the same values of the variables it is priced by, whatever the others', () => {
    const { estimate, made } = pricing();
    expect(estimate({ id: 'a', first: 10, full: true })).toBe(21);
    expect(estimate({ id: 'b', first: 10, full: true })).toBe(21);
    expect(made()).toBe(1);
  });

  it('estimates again when a slicing argument or an @include changes', () => {
    const { estimate, made } = pricing();
    expect(estimate({ id: 'a', first: 10, full: false })).toBe(11);
    expect(estimate({ id: 'a', first: 90, full: false })).toBe(91);
    expect(estimate({ id: 'a', first: 90, full: true })).toBe(181);
    expect(estimate({ id: 'a', first: 10, full: false })).toBe(11);
    expect(made()).toBe(3);
  });

  it('tells a variable left out (its default applies) from one given as null', () => {
    const { estimate, made } = pricing();
    estimate({ id: 'a', full: false });
    estimate({ id: 'a', first: null, full: false });
    expect(made()).toBe(2);
  });

  it('keeps nothing for variables that do not coerce, so their next request is estimated (and refused) again', () => {
    const { estimate, made } = pricing();
    expect(estimate({ id: 'a', first: 'ten', full: false })).toBeUndefined();
    expect(estimate({ id: 'a', first: 'ten', full: false })).toBeUndefined();
    expect(made()).toBe(2);
  });

  it('keeps no estimate for a pricing variable whose value is not a plain scalar', () => {
    const { estimate, made } = pricing();
    estimate({ id: 'a', first: [10], full: false });
    estimate({ id: 'a', first: [10], full: false });
    expect(made()).toBe(2);
  });
});
