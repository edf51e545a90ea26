import { JwtService } from '@nestjs/jwt';
import { createSecretKey, randomUUID } from 'node:crypto';
import { loadConfig } from '../config/app-config';
import { UnauthorizedError } from '../http/problem';
import { TokenService } from './token.service';

const SECRET = createSecretKey(Buffer.from('unit-test-secret-unit-test-secret-1234'));

function tokenService(ttlSeconds = 900) {
  const config = { ...loadConfig({}), accessTokenTtlSeconds: ttlSeconds };
  return new TokenService(new JwtService({ secret: SECRET }), config);
}

describe('TokenService', () => {
  afterEach(() => jest.restoreAllMocks());

  it('names the caller of a token it issued, again and again', async () => {
    const tokens = tokenService();
    const userId = randomUUID();
    const { accessToken } = await tokens.issue(userId);
    const { exp, iat } = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString());
    // Verified, then remembered:
    const caller = { userId, tokenIssuedAtMs: iat * 1000, tokenExpiresAtMs: exp * 1000 };
    await expect(tokens.callerFrom(`Bearer ${accessToken}`)).resolves.toEqual(caller);
    await expect(tokens.callerFrom(`Bearer ${accessToken}`)).resolves.toEqual(caller);
  });

  it('rejects a remembered token once it has expired', async () => {
    const issuedAt = Date.now();
    const tokens = tokenService(60);
    const { accessToken } = await tokens.issue(randomUUID());
    await tokens.callerFrom(`Bearer ${accessToken}`); // verified and remembered
    jest.spyOn(Date, 'now').mockReturnValue(issuedAt + 61_000); // jsonwebtoken reads Date.now too
    await expect(tokens.callerFrom(`Bearer ${accessToken}`)).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
  });

  it('ends a token once it is older than the lifetime set now, whatever its exp says', async () => {
    const userId = randomUUID();
    const signedAt = Math.floor(Date.now() / 1000) - 120; // two minutes ago, for an hour
    const jwt = new JwtService({ secret: SECRET });
    const older = await jwt.signAsync({ sub: userId, iat: signedAt }, { expiresIn: 3600 });
    await expect(tokenService(3600).callerFrom(`Bearer ${older}`)).resolves.toEqual({
      userId,
      tokenIssuedAtMs: signedAt * 1000,
      tokenExpiresAtMs: (signedAt + 3600) * 1000,
    });
    const shortened = tokenService(60); // the setting shortened after the token was signed
    await expect(shortened.callerFrom(`Bearer ${older}`)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(tokenService(300).callerFrom(`Bearer ${older}`)).resolves.toEqual({
      userId,
      tokenIssuedAtMs: signedAt * 1000,
      tokenExpiresAtMs: (signedAt + 300) * 1000,
    });
  });

  it('rejects a token without iat: every token this service signs has one', async () => {
    const jwt = new JwtService({ secret: SECRET });
    const undated = await jwt.signAsync(
      { sub: randomUUID() },
      { expiresIn: 60, noTimestamp: true },
    );
    await expect(tokenService().callerFrom(`Bearer ${undated}`)).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
  });

  it('rejects a token signed with another secret, and a tampered one', async () => {
    const other = new TokenService(
      new JwtService({
        secret: createSecretKey(Buffer.from('another-secret-another-secret-12345')),
      }),
      loadConfig({}),
    );
    const { accessToken } = await other.issue(randomUUID());
    const tokens = tokenService();
    await expect(tokens.callerFrom(`Bearer ${accessToken}`)).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    const own = (await tokens.issue(randomUUID())).accessToken;
    await tokens.callerFrom(`Bearer ${own}`);
    const [header, payload, signature] = own.split('.');
    // The first character carries six bits of the signature: changing it always changes the bytes
    // (the last one's low bits are padding, and "AA" at the end was sometimes no change at all).
    const first = signature[0] === 'A' ? 'B' : 'A';
    const tampered = `${header}.${payload}.${first}${signature.slice(1)}`;
    await expect(tokens.callerFrom(`Bearer ${tampered}`)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('takes the scheme in any case, and tells a malformed header from a bad token', async () => {
    const tokens = tokenService();
    const userId = randomUUID();
    const { accessToken } = await tokens.issue(userId);
    await expect(tokens.callerFrom(`bearer ${accessToken}`)).resolves.toMatchObject({ userId });
    await expect(tokens.callerFrom(`BEARER  ${accessToken}`)).resolves.toMatchObject({ userId });
    await expect(tokens.callerFrom(`Basic ${accessToken}`)).rejects.toThrow(
      'The Authorization header must be "Bearer <accessToken>".',
    );
    await expect(tokens.callerFrom('Bearer junk')).rejects.toThrow(
      'The access token is invalid or expired.',
    );
  });
});
