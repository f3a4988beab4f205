import { scryptSync } from 'node:crypto';
import fc from 'fast-check';
import { BadRequestError } from '../../../lib/errors';
import { CURRENT_PARAMS, MAX_PASSWORD_LENGTH, dummyPasswordCheck, hashPassword, passwordNeedsRehash, verifyPassword } from '../../../lib/auth/password';
import { rejection } from '../../helpers/thrown';

/** An encoding made with node:crypto directly, to check the format is what the module reads. */
function handMade(password: string, N: number, r = 8, p = 1): string {
  const salt = Buffer.alloc(16, 7);
  const hash = scryptSync(password, salt, 32, { N, r, p, maxmem: 256 * N * r });
  const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
  return `scrypt$${N}$${r}$${p}$${b64(salt)}$${b64(hash)}`;
}

describe('hashPassword / verifyPassword', () => {
  let encoded: string;

  beforeAll(async () => {
    encoded = await hashPassword('correct horse battery staple');
  });

  it('encodes algorithm, current parameters, a 16-byte salt and a 32-byte hash', () => {
    expect(encoded).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(CURRENT_PARAMS.N).toBeGreaterThanOrEqual(2 ** 14);
  });

  it('verifies the password it was made from', async () => {
    await expect(verifyPassword('correct horse battery staple', encoded)).resolves.toBe(true);
  });

  it('refuses other passwords, including near misses', async () => {
    for (const wrong of ['correct horse battery stapl', 'Correct horse battery staple', 'correct horse battery staple ', '']) {
      await expect(verifyPassword(wrong, encoded)).resolves.toBe(false);
    }
  });

  it('salts: the same password hashes differently each time, and both verify', async () => {
    const again = await hashPassword('correct horse battery staple');
    expect(again).not.toBe(encoded);
    await expect(verifyPassword('correct horse battery staple', again)).resolves.toBe(true);
  });

  it('treats composed and decomposed Unicode as the same password', async () => {
    const composed = await hashPassword('caf\u00e9');
    await expect(verifyPassword('cafe\u0301', composed)).resolves.toBe(true);
  });

  it('reads hashes made with other (older) parameters', async () => {
    await expect(verifyPassword('old password', handMade('old password', 2 ** 14))).resolves.toBe(true);
    await expect(verifyPassword('other', handMade('old password', 2 ** 14))).resolves.toBe(false);
  });

  it('returns false, never throws, on malformed or out-of-bounds encodings', async () => {
    const [, , , , salt = '', hash = ''] = encoded.split('$');
    const malformed = [
      '',
      'scrypt',
      'plain-text-password',
      `bcrypt$32768$8$1$${salt}$${hash}`,
      `scrypt$32768$8$1$${salt}`,
      `scrypt$32768$8$1$${salt}$${hash}$extra`,
      `scrypt$30000$8$1$${salt}$${hash}`, // N not a power of two
      `scrypt$1073741824$8$1$${salt}$${hash}`, // N far too large: must not be attempted
      `scrypt$32768$0$1$${salt}$${hash}`,
      `scrypt$32768$8$1000$${salt}$${hash}`,
      `scrypt$-32768$8$1$${salt}$${hash}`,
      `scrypt$032768$8$1$${salt}$${hash}`,
      `scrypt$32768$8$1$${salt}$***`,
      `scrypt$32768$8$1$${salt}$${hash}==`,
      `scrypt$32768$8$1$${salt}$${hash.slice(0, 10)}`, // hash too short
      `scrypt$32768$8$1$AAAA$${hash}`, // salt too short
      `scrypt$32768$8$1$${salt}$${'A'.repeat(600)}`,
    ];
    for (const bad of malformed) {
      await expect(verifyPassword('correct horse battery staple', bad)).resolves.toBe(false);
    }
    await expect(verifyPassword('x', undefined as unknown as string)).resolves.toBe(false);
  });

  it('refuses to hash an over-long or empty password, with a clear 400', async () => {
    const tooLong = await rejection(hashPassword('a'.repeat(MAX_PASSWORD_LENGTH + 1)));
    expect(tooLong).toBeInstanceOf(BadRequestError);
    expect((tooLong as Error).message).toContain(String(MAX_PASSWORD_LENGTH));
    expect(await rejection(hashPassword(''))).toBeInstanceOf(BadRequestError);
    await expect(hashPassword('a'.repeat(MAX_PASSWORD_LENGTH))).resolves.toMatch(/^scrypt\$/);
  });

  it('answers false to an over-long password without checking it', async () => {
    const long = 'a'.repeat(MAX_PASSWORD_LENGTH + 1);
    const made = handMade(long, 2 ** 14);
    await expect(verifyPassword(long, made)).resolves.toBe(false);
  });
});

describe('dummyPasswordCheck', () => {
  it('is always false, whatever the password', async () => {
    for (const password of ['', 'correct horse battery staple', 'a'.repeat(2000)]) {
      await expect(dummyPasswordCheck(password)).resolves.toBe(false);
    }
  });
});

describe('passwordNeedsRehash', () => {
  it('is false for a fresh hash', async () => {
    expect(passwordNeedsRehash(await hashPassword('pw'))).toBe(false);
  });

  it('is true below the current parameters, or for a malformed encoding', () => {
    expect(passwordNeedsRehash(handMade('pw', 2 ** 14))).toBe(true);
    expect(passwordNeedsRehash(handMade('pw', 2 ** 15, 4))).toBe(true);
    expect(passwordNeedsRehash('garbage')).toBe(true);
    // High but invalid N (not a power of two) is malformed, not "strong enough".
    expect(passwordNeedsRehash(handMade('pw', 2 ** 16).replace('$65536$', '$40000$'))).toBe(true);
  });

  it('is false above the current parameters', () => {
    expect(passwordNeedsRehash(handMade('pw', 2 ** 16))).toBe(false);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        expect(typeof passwordNeedsRehash(text)).toBe('boolean');
      }),
    );
  });
});
