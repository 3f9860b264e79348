import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { REPO_ROOT, SUBGRAPH_NAMES } from '@omo/lib/core/config';

/**
 * `npm run build`: each service as one JavaScript file in dist/ (dist/gateway.js, dist/members.js, ...) that plain
 * `node` runs. Our TypeScript, workspace packages included, is bundled; third-party packages stay external and load
 * from node_modules, as under tsx, so the build holds only our code.
 */
export const DIST_DIR = path.join(REPO_ROOT, 'dist');

export const SERVICE_ENTRIES: Record<string, string> = {
  gateway: 'gateway/src/index.ts',
  ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, `subgraphs/${name}/src/index.ts`])),
};

/**
 * A bundle has one `__dirname`, the dist directory, where each module read files beside its own source (a
 * subgraph's schema.graphql, the member page's assets). Each of our modules that names it gets its
 * source directory instead, relative to the bundle, so those reads find the same files in the checkout.
 */
const sourceDirname: Plugin = {
  name: 'source-dirname',
  setup(plugin) {
    plugin.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('__dirname')) return undefined;
      const fromDist = path.relative(DIST_DIR, path.dirname(args.path)).split(path.sep).join('/');
      return { contents: source.replaceAll(/\b__dirname\b/g, `require('node:path').join(__dirname, ${JSON.stringify(fromDist)})`), loader: 'ts' };
    });
  },
};

/** The package an external import names: `@apollo/server/errors` -> `@apollo/server`; undefined for Node's own. */
function packageOf(importPath: string): string | undefined {
  if (importPath.startsWith('node:') || builtinModules.includes(importPath)) return undefined;
  const parts = importPath.split('/');
  return importPath.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * Builds the given entries (name: source path from the repository root) into dist/<name>.js. Refuses a bundle
 * that requires a package outside package.json's dependencies, which a production install (`npm prune --omit=dev`,
 * docs/deployment.md) would not have, unless `devDependencies` allows them (the bench's own process).
 */
export async function buildServices(entries: Record<string, string> = SERVICE_ENTRIES, options: { devDependencies?: boolean } = {}): Promise<void> {
  const result = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: Object.entries(entries).map(([name, source]) => ({ in: source, out: name })),
    outdir: DIST_DIR,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20.19',
    // tsconfig paths (@omo/...) are resolved first and bundled; every other bare import stays a require
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    plugins: [sourceDirname],
    // the built services never read .env.development (lib/core/config.ts, loadDevelopmentEnv)
    define: { OMO_BUILT: 'true' },
    metafile: true,
  });
  if (options.devDependencies) return;
  const dependencies = Object.keys((JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
  const required = Object.values(result.metafile.outputs).flatMap((output) => output.imports.filter((i) => i.external).map((i) => packageOf(i.path)));
  const missing = [...new Set(required)].filter((name): name is string => name !== undefined && !dependencies.includes(name));
  if (missing.length > 0) throw new Error(`the build requires packages that are not dependencies in package.json (devDependencies are not installed in production): ${missing.join(', ')}`);
}

if (require.main === module) {
  buildServices().then(
    () => process.stdout.write(`built ${Object.keys(SERVICE_ENTRIES).map((name) => `dist/${name}.js`).join(', ')}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
