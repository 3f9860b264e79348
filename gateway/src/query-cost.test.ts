import {
  buildASTSchema,
  buildSchema,
  getNamedType,
  getNullableType,
  isLeafType,
  isListType,
  isObjectType,
  Kind,
  parse,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type OperationDefinitionNode,
} from 'graphql';
import { AppError } from '@omo/lib/core/errors';
import { estimateCost, readCostDirectives, TooManySelections } from './query-cost';
import { composeSupergraph } from './supergraph';

const LINK = /* GraphQL */ `
  scalar link__Import
  directive @link(url: String!, as: String, import: [link__Import]) repeatable on SCHEMA
  directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
  directive @listSize(
    assumedSize: Int
    slicingArguments: [String!]
    sizedFields: [String!]
    requireOneSlicingArgument: Boolean = true
  ) on FIELD_DEFINITION
`;

const SDL = /* GraphQL */ `
  schema @link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@cost", "@listSize"]) { query: Query }
  ${LINK}
  type Query {
    me: Member
    members(first: Int, last: Int): [Member!]! @listSize(slicingArguments: ["first", "last"])
  }
  type Member {
    id: ID!
    name: String!
    nicknames: [String!]!
    card: Card!
    tags: [Tag!]! @listSize(assumedSize: 4)
    history(first: Int! = 20): EntryConnection! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"])
  }
  type Card {
    code: String!
    svg: String! @cost(weight: 50)
  }
  type Tag {
    name: String!
  }
  type EntryConnection {
    total: Int!
    nodes: [Entry!]!
  }
  type Entry {
    id: ID!
    amount: Int!
  }
`;

const schema = buildSchema(SDL);
const directives = readCostDirectives(SDL);

function cost(query: string, variables: Record<string, unknown> = {}): number {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  return estimateCost({ schema, directives, fragments, operation, variables });
}

describe('estimateCost', () => {
  it('counts 1 for every field that declares no cost, leaves included', () => {
    expect(cost('{ me { id name card { code } } }')).toBe(5);
  });

  it('counts a field’s @cost weight instead of 1, once per alias', () => {
    expect(cost('{ me { card { svg } } }')).toBe(52);
    expect(cost('{ me { card { a: svg b: svg c: svg } } }')).toBe(152);
  });

  it('multiplies a connection’s sized field by its slicing argument, given, from a variable or by default', () => {
    // history 1 + total 1 + nodes 30 × (1 + id 1)
    expect(cost('{ me { history(first: 30) { total nodes { id } } } }')).toBe(1 + 1 + 1 + 30 * 2);
    expect(cost('query($n: Int!) { me { history(first: $n) { nodes { id } } } }', { n: 5 })).toBe(1 + 1 + 5 * 2);
    expect(cost('{ me { history { nodes { id amount } } } }')).toBe(1 + 1 + 20 * 3);
  });

  it('multiplies a list field by the largest slicing argument given, and refuses several when one is required', () => {
    expect(cost('{ members(first: 7) { id } }')).toBe(7 * 2);
    expect(() => cost('{ members(first: 7, last: 9) { id } }')).toThrow(
      new AppError('Query.members needs exactly one of first, last', 'BAD_USER_INPUT'),
    );
    expect(() => cost('{ members { id } }')).toThrow('Query.members needs exactly one of first, last');
  });

  it('prices a negative page size as an empty page', () => {
    expect(cost('{ me { history(first: -5) { total nodes { id } } } }')).toBe(1 + 1 + 1);
  });

  it('multiplies a list by its assumedSize, and counts a list without @listSize once', () => {
    expect(cost('{ me { tags { name } } }')).toBe(1 + 4 * 2);
    expect(cost('{ me { nicknames } }')).toBe(2);
  });

  it('counts fields in fragments, and nothing for __typename or what @skip and @include leave out', () => {
    expect(cost('{ me { ...Card ... on Member { id } } } fragment Card on Member { card { svg } }')).toBe(1 + 51 + 1);
    expect(cost('{ __typename me { __typename id } }')).toBe(2);
    expect(cost('query($hide: Boolean!) { me { id card @skip(if: $hide) { svg } } }', { hide: true })).toBe(2);
    expect(cost('{ me { id card @include(if: false) { svg } } }')).toBe(2);
  });

  it('stops at 10,000 selections however the fragments expand', () => {
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i + 1 < levels
        ? `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`
        : `fragment F${i} on Query { ... @skip(if: true) { me { id } } }`,
    );
    expect(() => cost(`{ ...F0 } ${fragments.join(' ')}`)).toThrow(TooManySelections);
  });
});

describe('readCostDirectives', () => {
  const shapes = (sdl: string) => Object.fromEntries(readCostDirectives(sdl));

  it('finds @listSize under the name composition gives it when only @cost is imported', () => {
    expect(
      shapes(`
        schema @link(url: "https://specs.apollo.dev/cost/v0.1") { query: Query }
        type Query { a: String @cost(weight: 3) b: [String] @cost__listSize(assumedSize: 9) c: [String] @listSize(assumedSize: 1) }
      `),
    ).toEqual({
      'Query.a': { weight: 3 },
      'Query.b': { listSize: { assumedSize: 9, slicingArguments: [], sizedFields: [], requireOneSlicingArgument: true } },
    });
  });

  it('follows `as` and renamed imports on the link', () => {
    expect(
      shapes(`
        schema @link(url: "https://specs.apollo.dev/cost/v0.1", as: "price", import: [{ name: "@listSize", as: "@size" }]) { query: Query }
        type Query { a: String @price(weight: 3) @cost(weight: 7) b: [String] @size(slicingArguments: ["n"], requireOneSlicingArgument: false) }
      `),
    ).toEqual({
      'Query.a': { weight: 3 },
      'Query.b': { listSize: { assumedSize: undefined, slicingArguments: ['n'], sizedFields: [], requireOneSlicingArgument: false } },
    });
  });

  it('reads nothing from a schema that does not link the cost spec', () => {
    expect(shapes('type Query { a: String @cost(weight: 3) }')).toEqual({});
  });

  it('refuses @cost where the estimator does not price it (an argument, a type)', () => {
    const linked = 'schema @link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@cost"]) { query: Query }';
    expect(() => readCostDirectives(`${linked} type Query { a(n: Int @cost(weight: 2)): String }`)).toThrow(
      "@cost on InputValueDefinition is not priced by the gateway's cost limit; put it on fields",
    );
    expect(() => readCostDirectives(`${linked} type Query @cost(weight: 2) { a: String }`)).toThrow(
      "@cost on ObjectTypeDefinition is not priced by the gateway's cost limit; put it on fields",
    );
  });
});

describe('the supergraph’s cost directives', () => {
  const supergraph = composeSupergraph();
  const declared = readCostDirectives(supergraph);

  it('reach the supergraph from the subgraphs: barcode renders and segment previews are weighed, pages sized by first', () => {
    expect(declared.get('MemberCard.barcodeSvg')).toEqual({ weight: 50 });
    expect(declared.get('Query.segmentPreview')).toEqual({ weight: 500 });
    const page = { assumedSize: undefined, slicingArguments: ['first'], sizedFields: ['nodes'], requireOneSlicingArgument: true };
    expect(declared.get('Member.purchases')).toEqual({ listSize: page });
    expect(declared.get('PointsAccount.history')).toEqual({ listSize: page });
  });

  it('size every list of objects, by its own @listSize or by the @listSize of the field returning its connection', () => {
    const api = buildASTSchema(parse(supergraph), { assumeValidSDL: true });
    const fields = Object.values(api.getTypeMap())
      .filter((type) => isObjectType(type) && !type.name.startsWith('__'))
      .flatMap((type) => Object.values((type as GraphQLObjectType).getFields()).map((field) => ({ type, field })));
    const sizedByParent = new Set(
      fields.flatMap(({ type, field }) =>
        (declared.get(`${type.name}.${field.name}`)?.listSize?.sizedFields ?? []).map((name) => `${getNamedType(field.type).name}.${name}`),
      ),
    );
    const unsized = fields
      .filter(({ field }) => isListType(getNullableType(field.type)) && !isLeafType(getNamedType(field.type)))
      .map(({ type, field }) => `${type.name}.${field.name}`)
      .filter((coordinate) => !declared.get(coordinate)?.listSize && !sizedByParent.has(coordinate));
    expect(unsized).toEqual([]);
    expect([...sizedByParent].sort()).toEqual(['PointTransactionConnection.nodes', 'PurchaseConnection.nodes', 'SmaregiEventConnection.nodes']);
  });
});
