/**
 * Prints a token for local use: `npm run token -- --sub alice [--name "Alice"] [--manager] [--expires 12h]`.
 * Signed with JWT_SECRET (or, in development, the secret the gateway generated), as the gateway verifies it.
 */
import { parseArgs } from 'node:util';
import { secretKey, signToken } from '../src/auth/viewer.ts';
import { loadConfig } from '../src/config.ts';

const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    name: { type: 'string' },
    manager: { type: 'boolean', default: false },
    expires: { type: 'string', default: '12h' },
  },
});
// The gateway's own configuration: JWT_SECRET, or in development the generated secret it uses too.
const { jwtSecret: secret } = loadConfig();
if (!values.sub) {
  console.error('Usage: npm run token -- --sub <memberId> [--name <name>] [--manager] [--expires 12h]');
  process.exit(2);
}
console.log(await signToken(secretKey(secret), { sub: values.sub, name: values.name, manager: values.manager, expiresIn: values.expires }));
