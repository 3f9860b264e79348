import { signUserToken } from '@omo/lib/core/bearer-tokens';
import { loadConfigOrExit } from '@omo/lib/core/config';
import { signWithDevIssuer } from './dev-issuer';

const USAGE = 'usage: npm run token -- staff [staffId] | admin [staffId] | customer <memberId>';

/**
 * A development token: from `npm start`'s development issuer when it has run (its keys are in .data/), else signed
 * with the shared secrets of .env.development (for services run as their own processes).
 */
const config = loadConfigOrExit();
const [kind, subject] = process.argv.slice(2);
const claims =
  kind === 'staff' || kind === 'admin'
    ? { sub: subject ?? `dev-${kind}`, role: kind === 'admin' ? ('ADMIN' as const) : ('STAFF' as const) }
    : kind === 'customer' && subject
      ? { sub: subject, role: 'CUSTOMER' as const }
      : undefined;
if (!claims) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
process.stdout.write(`${signWithDevIssuer(claims, config) ?? signUserToken(claims, config)}\n`);
