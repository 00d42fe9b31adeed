import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { loadConfig } from '../../src/config';
import { EncryptionCodec, ENCRYPTED_ENCODING, parseEncryptionKeys, PayloadDecryptionError } from '../../src/temporal/codec';
import { rotatedCodec, testCodec, TEST_KEYS_WRITTEN } from '../helpers/codec';

const payload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value)!;
const valueOf = (p: Payload) => defaultPayloadConverter.fromPayload(p);
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');
const customer = {
  name: 'Cyberdyne Systems',
  email: 'ap@cyberdyne.test',
  lines: [{ description: 'Neural net chips', amountCents: 123_456 }],
};

it('round-trips any payload, leaving no plaintext and no original metadata', async () => {
  const codec = testCodec();
  const [encrypted] = await codec.encode([payload(customer)]);
  expect(text(encrypted!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
  expect(text(encrypted!.metadata!['encryption-key-id'])).toBe('test-2026-12');
  expect(Object.keys(encrypted!.metadata!)).not.toContain('json/plain');
  const bytes = Buffer.concat([encrypted!.data!, ...Object.values(encrypted!.metadata!)]).toString('latin1');
  for (const secret of ['Cyberdyne', 'cyberdyne.test', 'Neural', '123456', 'json/plain']) expect(bytes).not.toContain(secret);
  const [decoded] = await codec.decode([encrypted!]);
  expect(valueOf(decoded!)).toEqual(customer);
  // A fresh IV each time: the same value never encrypts to the same bytes.
  const [again] = await codec.encode([payload(customer)]);
  expect(Buffer.from(again!.data!).equals(Buffer.from(encrypted!.data!))).toBe(false);
});

it('after a rotation encrypts with the new key and still reads what the old one wrote', async () => {
  const [old] = await testCodec().encode([payload('written before the rotation')]);
  const rotated = rotatedCodec();
  expect(valueOf((await rotated.decode([old!]))[0]!)).toBe('written before the rotation');
  const [fresh] = await rotated.encode([payload('written after')]);
  expect(text(fresh!.metadata!['encryption-key-id'])).toBe('test-2027-06');
  // The old codec does not know the new key: a clear refusal, not garbage.
  await expect(testCodec().decode([fresh!])).rejects.toThrow(
    new PayloadDecryptionError('payload was encrypted with key "test-2027-06", which is not configured', 'test-2027-06'),
  );
});

it('refuses altered bytes, a payload passed off under another key id, and truncated data', async () => {
  const codec = testCodec();
  const [p] = await codec.encode([payload({ amountCents: 100 })]);
  const flipped = Buffer.from(p!.data!);
  flipped[20] = flipped[20]! ^ 1;
  await expect(codec.decode([{ ...p!, data: flipped }])).rejects.toThrow(/wrong key or altered data/);
  const two = new EncryptionCodec({ keys: [...parseEncryptionKeys(TEST_KEYS_WRITTEN), { id: 'other', key: Buffer.alloc(32, 0x2a) }] });
  // Same key bytes under another id: the id is authenticated, so this fails too.
  await expect(
    two.decode([{ ...p!, metadata: { ...p!.metadata, 'encryption-key-id': new TextEncoder().encode('other') } }]),
  ).rejects.toThrow(/wrong key or altered data/);
  await expect(codec.decode([{ ...p!, data: new Uint8Array(10) }])).rejects.toThrow(/truncated/);
});

it('passes unencrypted payloads through on decode (histories from before encryption still read)', async () => {
  const plain = payload({ status: 'open' });
  expect(await testCodec().decode([plain])).toEqual([plain]);
});

it('compresses large payloads when asked, and only when it helps', async () => {
  const big = payload({ lines: Array.from({ length: 200 }, (_, i) => ({ description: `Consulting, week ${i}`, amountCents: 10_000 })) });
  const plain = new EncryptionCodec({ keys: parseEncryptionKeys(TEST_KEYS_WRITTEN) });
  const [compressed] = await testCodec().encode([big]);
  const [uncompressed] = await plain.encode([big]);
  expect(text(compressed!.metadata!.compression)).toBe('deflate');
  expect(compressed!.data!.length).toBeLessThan(uncompressed!.data!.length / 4);
  expect(valueOf((await plain.decode([compressed!]))[0]!)).toEqual(valueOf(big));
  const [small] = await testCodec().encode([payload(1)]);
  expect(small!.metadata!.compression).toBeUndefined();
});

it('reads keys from configuration and names what is wrong', () => {
  const keys = parseEncryptionKeys(` k2:${Buffer.alloc(32, 1).toString('base64')} , k1:${'ab'.repeat(32)}`);
  expect(keys.map((k) => [k.id, k.key.length])).toEqual([
    ['k2', 32],
    ['k1', 32],
  ]);
  expect(() => parseEncryptionKeys('nocolon')).toThrow(/each key is id:key/);
  expect(() => parseEncryptionKeys(`k1:${Buffer.alloc(16).toString('base64')}`)).toThrow('key k1 must be 32 bytes');
  expect(() => parseEncryptionKeys(`k1:${'ab'.repeat(32)},k1:${'cd'.repeat(32)}`)).toThrow('key id k1 is given twice');
  expect(() => loadConfig({ PAYLOAD_ENCRYPTION_KEYS: 'k1:short' })).toThrow(/PAYLOAD_ENCRYPTION_KEYS: key k1 must be 32 bytes/);
  // Encryption on: the customer's name stays out of search attributes unless the operator allows it.
  expect(loadConfig({ PAYLOAD_ENCRYPTION_KEYS: TEST_KEYS_WRITTEN }).CUSTOMER_NAME_SEARCH_ATTRIBUTE).toBe(false);
  expect(
    loadConfig({ PAYLOAD_ENCRYPTION_KEYS: TEST_KEYS_WRITTEN, CUSTOMER_NAME_SEARCH_ATTRIBUTE: 'true' }).CUSTOMER_NAME_SEARCH_ATTRIBUTE,
  ).toBe(true);
  expect(loadConfig({}).CUSTOMER_NAME_SEARCH_ATTRIBUTE).toBe(true);
  expect(loadConfig({}).CODEC_CORS_ORIGINS).toEqual(['http://localhost:8233']);
  expect(() => loadConfig({ CUSTOMER_NAME_SEARCH_ATTRIBUTE: 'yes' })).toThrow(/CUSTOMER_NAME_SEARCH_ATTRIBUTE must be true or false/);
});
