/**
 * How a token's signature and claims are checked: with JWT_SECRET (HS256, the default, and what
 * `npm run token` signs with), or with an identity provider's keys: one public key (JWT_PUBLIC_KEY) or its
 * JSON Web Key Set (JWT_JWKS_URL). With a provider's keys only asymmetric algorithms are accepted, so no
 * HMAC-signed token gets in: not one signed with the server's own secret, nor one "signed" with the public
 * key used as an HMAC secret (the classic algorithm confusion). jose checks the signature, `exp` and `nbf`,
 * `iss` and `aud` when configured, and fetches and caches the key set.
 */
import { createPublicKey } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { PUBLIC_KEY_ALGORITHMS, type TokenConfig } from '../config.ts';

export interface TokenVerifier {
  /** The claim holding the caller's roles (JWT_ROLES_CLAIM). */
  readonly rolesClaim: string;
  /** The claim holding the caller's display name (JWT_NAME_CLAIM). */
  readonly nameClaim: string;
  /**
   * How long a verified token may be trusted without checking it again (ms), or null for until its `exp`: a
   * remote key set changes without the gateway (JWT_JWKS_MAX_AGE); a secret or a public key does not.
   */
  readonly trustFor: number | null;
  /**
   * The payload of a valid token. Rejects with TokenRefused for a token that is not (the client's to fix),
   * and with any other error when the token could not be checked (the provider's keys could not be fetched).
   */
  verify(jwt: string): Promise<JWTPayload>;
}

/** A token that was checked and is not valid: bad signature, expired, wrong issuer or audience, unknown key. */
export class TokenRefused extends Error {}

/** The identity provider's keys could not be fetched: no token can be checked until they can. */
export class KeysUnavailable extends Error {}

/** Errors of a key set that could not be fetched or read: the provider's trouble, not the token's. */
const KEY_SET_TROUBLE = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

export function tokenVerifier(secret: Uint8Array, config: TokenConfig): TokenVerifier {
  const options: JWTVerifyOptions = {
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  };
  const { rolesClaim, nameClaim } = config;
  const refused = (error: unknown) => new TokenRefused('token refused', { cause: error });
  if (config.jwksUrl) {
    const maxAge = config.jwksMaxAgeSeconds * 1_000;
    const keys = createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: Math.min(30_000, maxAge), cacheMaxAge: maxAge });
    const algorithms = [...PUBLIC_KEY_ALGORITHMS];
    return {
      rolesClaim,
      nameClaim,
      trustFor: maxAge,
      async verify(jwt) {
        try {
          return (await jwtVerify(jwt, keys, { ...options, algorithms })).payload;
        } catch (error) {
          const troubleFetching = !(error instanceof errors.JOSEError) || KEY_SET_TROUBLE.has(error.code);
          throw troubleFetching ? new KeysUnavailable('The identity provider’s keys (JWT_JWKS_URL) could not be fetched', { cause: error }) : refused(error);
        }
      },
    };
  }
  const [key, algorithms] = config.publicKeyPem ? [createPublicKey(config.publicKeyPem), [...PUBLIC_KEY_ALGORITHMS]] : [secret, ['HS256']];
  return {
    rolesClaim,
    nameClaim,
    trustFor: null,
    async verify(jwt) {
      try {
        return (await jwtVerify(jwt, key, { ...options, algorithms })).payload;
      } catch (error) {
        throw refused(error);
      }
    },
  };
}
