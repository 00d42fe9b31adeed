import { EncryptionCodec, parseEncryptionKeys } from '../../src/temporal/codec';

/**
 * Test keys (never used outside tests). Histories in test/histories/encrypted-* were written with
 * `test-2026-12`; `test-2027-06` is the key rotated in after it.
 */
export const TEST_KEYS_WRITTEN = 'test-2026-12:' + Buffer.alloc(32, 0x2a).toString('base64');
export const TEST_KEY_ROTATED_IN = 'test-2027-06:' + Buffer.alloc(32, 0x17).toString('base64');

/** The codec the encrypted histories were written with. */
export const testCodec = () => new EncryptionCodec({ keys: parseEncryptionKeys(TEST_KEYS_WRITTEN), compress: true });
/** After a rotation: the new key encrypts, the old one still decrypts. */
export const rotatedCodec = () => new EncryptionCodec({ keys: parseEncryptionKeys(`${TEST_KEY_ROTATED_IN},${TEST_KEYS_WRITTEN}`) });
