/**
 * Prints a token for local use: `npm run token -- --sub alice [--name "Alice"] [--manager] [--expires 12h]`.
 * Signed with JWT_SECRET (or, in development, the secret the gateway generated), as the gateway verifies it.
 */
import { parseArgs } from 'node:util';
import { secretKey, signToken } from '../src/auth/viewer.ts';
import { configOrExit } from '../src/config.ts';
import { LIMITS, memberIdOf } from '../src/domain/validate.ts';

const USAGE = 'Usage: npm run token -- --sub <memberId> [--name <name>] [--manager] [--expires 12h]';
const HELP = `${USAGE}
  --sub       the member id (the token's \`sub\`), required
  --name      the member's display name (the token's \`name\`, or JWT_NAME_CLAIM; Viewer.name, memberName); none by default
  --manager   a Groups Manager (roles: ["groups-manager"])
  --expires   lifetime, e.g. 10m, 12h, 7d (default 12h)`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parseOptions() {
  try {
    return parseArgs({
      options: {
        sub: { type: 'string' },
        name: { type: 'string' },
        manager: { type: 'boolean', default: false },
        expires: { type: 'string', default: '12h' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    fail((error as Error).message); // an unknown option, a missing value, a positional argument
  }
}

const values = parseOptions();
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if (!values.sub) fail('--sub is required.');
// The gateway refuses a token whose sub is not a member id as written (auth/viewer.ts).
if (memberIdOf(values.sub) !== values.sub) {
  fail(`--sub must be a member id: not blank, no surrounding spaces, at most ${LIMITS.id} characters, no control characters.`);
}
// The gateway's own configuration: JWT_SECRET, or in development the generated secret it uses too.
const { jwtSecret: secret, tokens } = configOrExit();
if (tokens.jwksUrl || tokens.publicKeyPem) {
  console.error(
    `This gateway takes tokens from your identity provider (${tokens.jwksUrl ? 'JWT_JWKS_URL' : 'JWT_PUBLIC_KEY'} is set), ` +
      'and refuses tokens signed with JWT_SECRET: sign in there for a token, or unset it for local tokens.',
  );
  process.exit(2);
}
let token: string;
try {
  token = await signToken(secretKey(secret), {
    sub: values.sub,
    name: values.name,
    manager: values.manager,
    expiresIn: values.expires,
    ...(tokens.issuer ? { issuer: tokens.issuer } : {}),
    ...(tokens.audience ? { audience: tokens.audience } : {}),
    rolesClaim: tokens.rolesClaim,
    nameClaim: tokens.nameClaim,
  });
} catch (error) {
  fail(`--expires ${values.expires}: ${(error as Error).message}.`); // jose: "Invalid time period format"
}
console.log(token);
