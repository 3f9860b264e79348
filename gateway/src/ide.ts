import { readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type Request, type RequestHandler, type Router } from 'express';

/**
 * The GraphQL IDE outside production: GraphiQL from the project's own dependencies, so it works offline and behind
 * a proxy that blocks CDNs (Apollo's landing page loads Sandbox from one). The page loads nothing but the files
 * below, from this gateway, and its Content-Security-Policy holds it to that.
 */

/** What the IDE opens with: a query to run and the headers to send it with. */
export interface IdeDefaults {
  query: string;
  headers: Record<string, string>;
}

/** The IDE's files under /graphql/ide/, each from the package that ships it (UMD builds: no bundler needed). */
const ASSETS: Record<string, { file: () => string; type: string }> = {
  'react.js': { file: inPackage('react', 'umd/react.production.min.js'), type: 'text/javascript' },
  'react-dom.js': { file: inPackage('react-dom', 'umd/react-dom.production.min.js'), type: 'text/javascript' },
  'graphiql.js': { file: inPackage('graphiql', 'graphiql.min.js'), type: 'text/javascript' },
  'graphiql.css': { file: inPackage('graphiql', 'graphiql.min.css'), type: 'text/css' },
  'start.js': { file: () => path.join(__dirname, 'ide-assets', 'start.js'), type: 'text/javascript' },
};

/** A file of an installed package, found from its package.json (the packages' exports do not list their UMD builds). */
function inPackage(name: string, file: string): () => string {
  return () => path.join(path.dirname(require.resolve(`${name}/package.json`)), file);
}

const DEFAULT_QUERY = `# The development headers below are a STAFF token from npm start's issuer.
query Stores {
  stores {
    id
    code
    name
    kind
  }
}
`;

// GraphiQL sets inline styles; everything else comes from this origin only
const POLICY = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'";

function page(defaults: IdeDefaults): string {
  // the defaults go in as JSON data, not script: `<` is escaped so no value can close the element
  const data = JSON.stringify({ query: defaults.query, headers: JSON.stringify(defaults.headers, null, 2) }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>OMO loyalty supergraph: GraphiQL</title>
<link rel="stylesheet" href="/graphql/ide/graphiql.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script id="ide-defaults" type="application/json">${data}</script>
<script src="/graphql/ide/react.js"></script>
<script src="/graphql/ide/react-dom.js"></script>
<script src="/graphql/ide/graphiql.js"></script>
<script src="/graphql/ide/start.js"></script>
</body>
</html>
`;
}

/** Whether a GET of /graphql comes from a browser that wants a page (not a GraphQL GET request). */
function wantsPage(req: Request): boolean {
  return req.method === 'GET' && req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

/**
 * The IDE's page (for a browser's GET of /graphql) and its files. `defaults.headers` are shown to whoever opens the
 * page: only development credentials belong there.
 */
export function ideRouter(defaults: Partial<IdeDefaults> = {}): { page: RequestHandler; assets: Router } {
  const html = page({ query: defaults.query ?? DEFAULT_QUERY, headers: defaults.headers ?? {} });
  const assets = express.Router();
  for (const [name, asset] of Object.entries(ASSETS)) {
    const file = asset.file();
    // read once on first request, then served from memory (a few MB, development only)
    let body: Buffer | undefined;
    assets.get(`/${name}`, (_req, res) => {
      body ??= readFileSync(file);
      res.type(asset.type).set('cache-control', 'no-cache').send(body);
    });
  }
  return {
    page: (req, res, next) => {
      if (!wantsPage(req)) return next();
      res.type('html').set('content-security-policy', POLICY).set('cache-control', 'no-store').send(html);
    },
    assets,
  };
}
