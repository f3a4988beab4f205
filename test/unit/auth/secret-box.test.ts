import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { AppError, SecretDecryptionError } from '../../../lib/errors';
import { SecretBox, createLocalKeyFile, keyIdOf, loadLocalKey } from '../../../lib/auth/secret-box';
import { thrown } from '../../helpers/thrown';

const KEY = Buffer.alloc(32, 1);
const OTHER_KEY = Buffer.alloc(32, 2);
const AD = 'CLIENT#abc';
const SECRET = 'kd94hf93k423kf44&pfkkdhi9sl3r4s00';

function box(key = KEY): SecretBox {
  return new SecretBox(key, keyIdOf(key));
}

/** Replaces part `index` of a sealed value. */
function withPart(sealed: string, index: number, replace: (part: string) => string): string {
  const parts = sealed.split('.');
  parts[index] = replace(parts[index] as string);
  return parts.join('.');
}

/** Flips the low bit of the first byte a base64url part encodes. */
function flipFirstByte(part: string): string {
  const bytes = Buffer.from(part, 'base64url');
  bytes[0] = (bytes[0] as number) ^ 1;
  return bytes.toString('base64url');
}

function decryptionError(fn: () => unknown): SecretDecryptionError {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(SecretDecryptionError);
  return error as SecretDecryptionError;
}

describe('SecretBox', () => {
  it('opens what it sealed, for the same associated data', () => {
    const sealed = box().seal(SECRET, AD);
    expect(box().open(sealed, AD)).toBe(SECRET);
  });

  it('round-trips any well-formed string, including empty and non-ASCII', () => {
    const b = box();
    for (const plain of ['', 'é', '秘密', '🔑 key', 'a'.repeat(5000)]) expect(b.open(b.seal(plain, AD), AD)).toBe(plain);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), fc.string({ maxLength: 30 }), (plain, ad) => {
        expect(b.open(b.seal(plain, ad), ad)).toBe(plain);
      }),
      { numRuns: 200 },
    );
  });

  it('writes the versioned, self-describing format and never the plaintext', () => {
    const sealed = box().seal(SECRET, AD);
    expect(sealed).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(sealed.split('.')[1]).toBe(keyIdOf(KEY));
    expect(sealed).not.toContain(SECRET);
    expect(sealed).not.toContain(Buffer.from(SECRET).toString('base64url'));
  });

  it('uses a fresh IV each time', () => {
    const b = box();
    const ivs = new Set(Array.from({ length: 50 }, () => b.seal(SECRET, AD).split('.')[2]));
    expect(ivs.size).toBe(50);
  });

  it('refuses a ciphertext moved to another record (wrong associated data)', () => {
    const sealed = box().seal(SECRET, 'CLIENT#abc');
    decryptionError(() => box().open(sealed, 'CLIENT#abd'));
    decryptionError(() => box().open(sealed, ''));
  });

  it('refuses a tampered IV, ciphertext or tag', () => {
    const sealed = box().seal(SECRET, AD);
    for (const index of [2, 3, 4]) decryptionError(() => box().open(withPart(sealed, index, flipFirstByte), AD));
  });

  it('refuses a value sealed under another key, named or disguised as this one', () => {
    const sealed = box(OTHER_KEY).seal(SECRET, AD);
    expect(decryptionError(() => box().open(sealed, AD)).message).toContain(keyIdOf(OTHER_KEY));
    // Same key id, different key: GCM authentication still fails.
    const disguised = new SecretBox(OTHER_KEY, keyIdOf(KEY)).seal(SECRET, AD);
    decryptionError(() => box().open(disguised, AD));
  });

  it('refuses truncated, malformed and other-version values', () => {
    const sealed = box().seal(SECRET, AD);
    const bad = [
      '',
      SECRET,
      sealed.slice(0, -1),
      sealed.slice(0, sealed.lastIndexOf('.')),
      withPart(sealed, 4, (tag) => tag.slice(0, 16)),
      withPart(sealed, 2, (iv) => iv.slice(0, 8)),
      withPart(sealed, 3, (ct) => ct.slice(0, -2)),
      withPart(sealed, 0, () => 'v2'),
      withPart(sealed, 3, (ct) => `${ct}!`),
      `${sealed}.extra`,
      'v1....',
      'x'.repeat(100_000),
    ];
    for (const value of bad) decryptionError(() => box().open(value, AD));
    decryptionError(() => box().open(undefined as unknown as string, AD));
  });

  it('is an internal error, not an AppError a client would see, and names no secret', () => {
    const sealed = box().seal(SECRET, AD);
    const error = decryptionError(() => box().open(withPart(sealed, 3, flipFirstByte), AD));
    expect(error).not.toBeInstanceOf(AppError);
    expect(error.name).toBe('SecretDecryptionError');
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain(KEY.toString('hex'));
  });

  it('never throws anything but SecretDecryptionError on arbitrary input', () => {
    const b = box();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        expect(thrown(() => b.open(text, AD))).toBeInstanceOf(SecretDecryptionError);
      }),
    );
  });

  it('copies its key: changing the caller buffer later changes nothing', () => {
    const key = Buffer.from(KEY);
    const b = new SecretBox(key, keyIdOf(key));
    const sealed = b.seal(SECRET, AD);
    key.fill(0);
    expect(b.open(sealed, AD)).toBe(SECRET);
  });

  it('refuses keys that are not 32 bytes, key ids that would break the format, and lone surrogates', () => {
    expect(thrown(() => new SecretBox(Buffer.alloc(31), 'k'))).toBeInstanceOf(TypeError);
    expect(thrown(() => new SecretBox(Buffer.alloc(33), 'k'))).toBeInstanceOf(TypeError);
    expect(thrown(() => new SecretBox(KEY, 'a.b'))).toBeInstanceOf(TypeError);
    expect(thrown(() => new SecretBox(KEY, ''))).toBeInstanceOf(TypeError);
    expect(thrown(() => box().seal('\ud800', AD))).toBeInstanceOf(TypeError);
  });
});

describe('keyIdOf', () => {
  it('is a short, stable, per-key identifier that is not part of the key', () => {
    expect(keyIdOf(KEY)).toMatch(/^[0-9a-f]{8}$/);
    expect(keyIdOf(Buffer.from(KEY))).toBe(keyIdOf(KEY));
    expect(keyIdOf(OTHER_KEY)).not.toBe(keyIdOf(KEY));
    const random = randomBytes(32);
    expect(random.toString('hex')).not.toContain(keyIdOf(random));
  });
});

describe('local key files', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'secret-box-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a 0600 key file once, in a new directory, and loads it back', () => {
    const path = join(dir, 'nested', 'data.key');
    expect(createLocalKeyFile(path)).toBe(true);
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    const content = readFileSync(path, 'utf8');
    expect(content).toMatch(/^[0-9a-f]{64}\n$/);
    const key = loadLocalKey(path);
    expect(key).toHaveLength(32);
    expect(key.toString('hex')).toBe(content.trim());

    expect(createLocalKeyFile(path)).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe(content);
    expect(loadLocalKey(path).equals(key)).toBe(true);
  });

  it('leaves no temporary files behind', () => {
    const sub = mkdtempSync(join(dir, 'clean-'));
    createLocalKeyFile(join(sub, 'a.key'));
    createLocalKeyFile(join(sub, 'a.key'));
    expect(readdirSync(sub)).toEqual(['a.key']);
  });

  it('makes keys a SecretBox can use', () => {
    const path = join(dir, 'box.key');
    createLocalKeyFile(path);
    const key = loadLocalKey(path);
    const b = new SecretBox(key, keyIdOf(key));
    expect(b.open(b.seal(SECRET, AD), AD)).toBe(SECRET);
  });

  it('refuses files that are not 64 hex digits', () => {
    for (const content of ['', 'abc', 'zz'.repeat(32), 'ab'.repeat(33), Buffer.alloc(32, 1).toString('base64')]) {
      const path = join(dir, `bad-${randomBytes(4).toString('hex')}.key`);
      writeFileSync(path, content, { mode: 0o600 });
      expect(thrown(() => loadLocalKey(path))).toBeInstanceOf(Error);
    }
  });

  if (process.platform !== 'win32') {
    it('refuses a key file readable by others', () => {
      const path = join(dir, 'open.key');
      createLocalKeyFile(path);
      chmodSync(path, 0o644);
      expect(String(thrown(() => loadLocalKey(path)))).toContain('chmod 600');
    });
  }

  it('reports a missing file', () => {
    expect((thrown(() => loadLocalKey(join(dir, 'missing.key'))) as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});
