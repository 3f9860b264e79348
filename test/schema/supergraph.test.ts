import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, visit } from 'graphql';
import { REPO_ROOT, SUBGRAPH_NAMES } from '@omo/lib/core/config';
import { composeSupergraph, readSupergraph } from '@omo/gateway/src/supergraph';

describe('schema/supergraph.graphql', () => {
  it('composes from the four subgraph schemas without errors and matches the committed file (run `npm run compose`)', () => {
    expect(readSupergraph()).toBe(composeSupergraph());
  });

  it('documents every type, field, argument and enum value of every subgraph', () => {
    const missing: string[] = [];
    for (const name of SUBGRAPH_NAMES) {
      const document = parse(readFileSync(path.join(REPO_ROOT, 'subgraphs', name, 'schema.graphql'), 'utf8'));
      const trail: string[] = [];
      const check = (node: { name: { value: string }; description?: unknown }) => {
        if (!node.description) missing.push(`${name}: ${[...trail, node.name.value].join('.')}`);
      };
      visit(document, {
        ObjectTypeDefinition: {
          enter(node) {
            if (!['Query', 'Mutation'].includes(node.name.value)) check(node);
            trail.push(node.name.value);
          },
          leave: () => void trail.pop(),
        },
        InputObjectTypeDefinition: {
          enter(node) {
            check(node);
            trail.push(node.name.value);
          },
          leave: () => void trail.pop(),
        },
        EnumTypeDefinition: {
          enter(node) {
            check(node);
            trail.push(node.name.value);
          },
          leave: () => void trail.pop(),
        },
        FieldDefinition: {
          enter(node) {
            check(node);
            trail.push(node.name.value);
          },
          leave: () => void trail.pop(),
        },
        InputValueDefinition: check,
        EnumValueDefinition: check,
        ScalarTypeDefinition: check,
      });
    }
    expect(missing).toEqual([]);
  });
});

describe('generated resolver types', () => {
  // GraphQL Code Generator's plugins are ES modules that jest cannot load, so the check runs as the CLI does
  it('match every subgraph schema.graphql (run `npm run codegen`)', async () => {
    const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
    const { stdout } = await promisify(execFile)(tsx, ['scripts/codegen.ts', '--check'], { cwd: REPO_ROOT });
    expect(stdout).toContain('generated resolver types are current');
  });
});
