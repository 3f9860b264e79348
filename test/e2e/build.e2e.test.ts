import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { signUserToken } from '@omo/lib/core/bearer-tokens';
import { REPO_ROOT } from '@omo/lib/core/config';
import { waitForReadyLine } from '@omo/lib/server/server-process';
import { freePort } from '@omo/tools/dev-db/ferretdb';
import { testConfig, testProcessEnv } from '@omo/tools/testing/config';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';

/**
 * `npm run build`, then services started from dist/ with plain node (no tsx, as README's Production section runs
 * them): members and line, and the gateway in front, answering through the gateway from the test database. line is
 * there because it reads its member page's assets at start-up, the file reads a bundle could lose.
 */
const config = testConfig();
let database: TestDatabase;
const ports = { gateway: 0, members: 0, line: 0 };
const running: ChildProcess[] = [];

function startBuilt(name: keyof typeof ports, env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(process.execPath, [`dist/${name}.js`], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  running.push(child);
  return waitForReadyLine(child, name, name === 'gateway' ? 'gateway listening' : 'subgraph listening', 20_000, 'stdout');
}

async function gatewayQuery<T>(query: string, variables: Record<string, unknown>): Promise<{ data?: T; errors?: unknown[] }> {
  const staff = signUserToken({ sub: 'staff-build', role: 'STAFF' }, config);
  const response = await fetch(`http://127.0.0.1:${ports.gateway}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${staff}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: T; errors?: unknown[] };
}

beforeAll(async () => {
  await promisify(execFile)('npm', ['run', 'build'], { cwd: REPO_ROOT });
  database = await openTestDatabase();
  for (const name of Object.keys(ports) as (keyof typeof ports)[]) ports[name] = await freePort();
  // points and purchases are not started: nothing asked here reaches them (members' sign-up bonus waits in its outbox)
  const unused = `http://127.0.0.1:${await freePort()}/graphql`;
  const env = testProcessEnv(config, database.dbName, {
    LOG_LEVEL: 'info', // the "listening" lines say a service is up
    LINE_API_BASE_URL: config.LINE_API_BASE_URL,
    GATEWAY_PORT: String(ports.gateway),
    MEMBERS_PORT: String(ports.members),
    LINE_PORT: String(ports.line),
    MEMBERS_URL: `http://127.0.0.1:${ports.members}/graphql`,
    LINE_URL: `http://127.0.0.1:${ports.line}/graphql`,
    POINTS_URL: unused,
    PURCHASES_URL: unused,
  });
  await Promise.all([startBuilt('members', env), startBuilt('line', env), startBuilt('gateway', env)]);
}, 120_000);

afterAll(async () => {
  await Promise.all(
    running.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  await database?.drop();
});

describe('the built services', () => {
  it('register a member through the built gateway and find it again by its card code', async () => {
    const registered = await gatewayQuery<{ registerMember: { id: string; memberCode: string } }>(
      'mutation($input: RegisterMemberInput!) { registerMember(input: $input) { id memberCode } }',
      { input: { displayName: 'Built Member', email: 'built@example.com', registeredVia: 'ONLINE' } },
    );
    expect(registered.errors).toBeUndefined();
    const { id, memberCode } = registered.data!.registerMember;

    const found = await gatewayQuery<{ memberByCode: { id: string; displayName: string } | null }>(
      'query($code: String!) { memberByCode(code: $code) { id displayName } }',
      { code: memberCode },
    );
    expect(found).toEqual({ data: { memberByCode: { id, displayName: 'Built Member' } } });
  });

  it('serve the LINE member page assets from the checkout', async () => {
    const response = await fetch(`http://127.0.0.1:${ports.line}/line/member/assets/member-page.css`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(readFileSync(path.join(REPO_ROOT, 'subgraphs/line/src/member-page/assets/member-page.css'), 'utf8'));
  });
});

/** Runs a command that should stop at once, and what it said; one still running after 20 s is killed (a failure). */
async function stopsWith(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  try {
    await promisify(execFile)(command, args, { cwd: REPO_ROOT, env, timeout: 20_000 });
    return { code: 0, stderr: '' };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : null, stderr: failed.stderr ?? '' };
  }
}

describe('the built services without their secrets', () => {
  // no secret at all: .env.development, beside dist/ in the checkout, holds a public value for each
  const bare = { PATH: process.env.PATH, HOME: process.env.HOME };

  it('npm run start:<service> runs in production mode: it refuses what only production refuses', async () => {
    const secrets = testProcessEnv(config, 'unused');
    const given = { ...bare, ...Object.fromEntries(['GATEWAY_SECRET', 'INTERNAL_SECRET', 'LINE_CHANNEL_SECRET', 'LINE_CHANNEL_ACCESS_TOKEN'].map((k) => [k, secrets[k]])) };
    const { code, stderr } = await stopsWith('npm', ['run', '--silent', 'start:members'], given);
    expect(code).toBe(1);
    expect(stderr).toContain('POS_TOKEN_SIGNING_KEY is required in production');
  });

  it('never take the development secrets, whatever NODE_ENV says', async () => {
    const { code, stderr } = await stopsWith(process.execPath, ['dist/members.js'], bare);
    expect(code).toBe(1);
    expect(stderr).toContain('GATEWAY_SECRET is required but not set');
  });
});
