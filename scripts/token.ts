import { signUserToken } from '@omo/lib/auth';
import { loadConfigOrExit } from '@omo/lib/config';

const USAGE = 'usage: npm run token -- staff [staffId] | admin [staffId] | customer <memberId>';

const config = loadConfigOrExit();
const [role, subject] = process.argv.slice(2);
if (role === 'staff' || role === 'admin') {
  const token = signUserToken({ sub: subject ?? `dev-${role}`, role: role === 'admin' ? 'ADMIN' : 'STAFF' }, config.JWT_SECRET);
  process.stdout.write(`${token}\n`);
} else if (role === 'customer' && subject) {
  process.stdout.write(`${signUserToken({ sub: subject, role: 'CUSTOMER' }, config.JWT_SECRET)}\n`);
} else {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
