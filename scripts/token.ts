/**
 * Prints a token for local use: `npm run token -- --sub alice [--name "Alice"] [--manager] [--expires 12h]`.
 * Signed with JWT_SECRET, as the gateway verifies it.
 */
import { parseArgs } from 'node:util';
import { secretKey, signToken } from '../src/auth/viewer.ts';

const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    name: { type: 'string' },
    manager: { type: 'boolean', default: false },
    expires: { type: 'string', default: '12h' },
  },
});
const secret = process.env.JWT_SECRET;
if (!values.sub) {
  console.error('Usage: npm run token -- --sub <memberId> [--name <name>] [--manager] [--expires 12h]');
  process.exit(2);
}
if (!secret) {
  console.error('Set JWT_SECRET to the secret the gateway uses (e.g. JWT_SECRET=... npm run token -- --sub alice).');
  process.exit(2);
}
console.log(await signToken(secretKey(secret), { sub: values.sub, name: values.name, manager: values.manager, expiresIn: values.expires }));
