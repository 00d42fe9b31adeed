import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** The `encoding` of a payload this codec encrypted. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const CIPHER = 'encryption-cipher';
const COMPRESSION = 'compression';
const AES_256_GCM = 'AES256GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Payloads smaller than this are not worth compressing (the deflate header eats the gain). */
const COMPRESS_FROM_BYTES = 256;

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? new TextDecoder().decode(b) : undefined);

/** One AES-256 key: `id` names it in every payload it encrypted, so it can be found again after a rotation. */
export interface EncryptionKey {
  readonly id: string;
  /** 32 bytes. */
  readonly key: Buffer;
}

/** Thrown when a payload cannot be decrypted: an unknown key id, a wrong key, or altered bytes. */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
  constructor(
    message: string,
    readonly keyId: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Encrypts every payload (workflow inputs and results, activity arguments, signals, queries, memos,
 * summaries and details) with AES-256-GCM before it leaves the process, so Temporal (and Temporal
 * Cloud) stores only ciphertext. The first key encrypts; every key decrypts, so rotating is adding
 * a new key in front and keeping the old ones while histories written with them are still read.
 * The whole payload (its metadata too) is encrypted, optionally deflated first. Search attributes
 * are not payloads of the codec: they stay readable (and must not carry what is secret).
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly byId: ReadonlyMap<string, Buffer>;
  private readonly current: EncryptionKey;
  private readonly compress: boolean;

  constructor(o: { keys: readonly EncryptionKey[]; compress?: boolean }) {
    const [current] = o.keys;
    if (!current) throw new Error('EncryptionCodec needs at least one key');
    for (const k of o.keys) if (k.key.length !== 32) throw new Error(`encryption key ${k.id} must be 32 bytes, not ${k.key.length}`);
    this.current = current;
    this.byId = new Map(o.keys.map((k) => [k.id, k.key]));
    this.compress = o.compress ?? false;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => (text(p.metadata?.encoding) === ENCRYPTED_ENCODING ? this.decrypt(p) : p));
  }

  private encrypt(payload: Payload): Payload {
    let plain: Uint8Array = temporal.api.common.v1.Payload.encode(payload).finish();
    let compressed = false;
    if (this.compress && plain.length >= COMPRESS_FROM_BYTES) {
      const deflated = deflateRawSync(plain);
      if (deflated.length < plain.length) {
        plain = deflated;
        compressed = true;
      }
    }
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    // The key id is authenticated with the data: a payload cannot be passed off under another key's name.
    cipher.setAAD(utf8(this.current.id));
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        encoding: utf8(ENCRYPTED_ENCODING),
        [CIPHER]: utf8(AES_256_GCM),
        [KEY_ID]: utf8(this.current.id),
        ...(compressed ? { [COMPRESSION]: utf8('deflate') } : {}),
      },
      data,
    };
  }

  private decrypt(payload: Payload): Payload {
    const keyId = text(payload.metadata?.[KEY_ID]);
    const key = keyId === undefined ? undefined : this.byId.get(keyId);
    if (!key) throw new PayloadDecryptionError(`payload was encrypted with key "${keyId ?? '(none)'}", which is not configured`, keyId);
    const cipherName = text(payload.metadata?.[CIPHER]);
    if (cipherName !== undefined && cipherName !== AES_256_GCM) throw new PayloadDecryptionError(`unsupported cipher ${cipherName}`, keyId);
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError('encrypted payload is truncated', keyId);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(utf8(keyId!));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      if (text(payload.metadata?.[COMPRESSION]) === 'deflate') plain = inflateRawSync(plain);
      return temporal.api.common.v1.Payload.decode(plain);
    } catch {
      throw new PayloadDecryptionError(`payload does not decrypt with key "${keyId}" (wrong key or altered data)`, keyId);
    }
  }
}

/**
 * Parses `PAYLOAD_ENCRYPTION_KEYS`: `id:key` pairs separated by commas, the key 32 bytes in base64 or
 * 64 hex digits (`openssl rand -base64 32`). The first pair encrypts. Throws a message naming what is wrong.
 */
export function parseEncryptionKeys(value: string): EncryptionKey[] {
  const keys = value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const colon = part.indexOf(':');
      const id = colon > 0 ? part.slice(0, colon).trim() : '';
      const material = colon > 0 ? part.slice(colon + 1).trim() : '';
      if (!/^[\w.-]{1,64}$/.test(id)) throw new Error('each key is id:key, the id 1–64 letters, digits, ".", "_" or "-"');
      const hex = /^[0-9a-f]{64}$/i.test(material);
      const key = Buffer.from(material, hex ? 'hex' : 'base64');
      // Node's base64 decoder skips what is not base64: only a key that encodes back to the text was base64.
      const base64 = !hex && key.toString('base64').replace(/=+$/, '') === material.replace(/=+$/, '');
      if (key.length !== 32 || !(hex || base64)) {
        throw new Error(`key ${id} must be 32 bytes in base64 (openssl rand -base64 32) or 64 hex digits`);
      }
      return { id, key };
    });
  if (keys.length === 0) throw new Error('give at least one id:key pair');
  const ids = keys.map((k) => k.id);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw new Error(`key id ${repeated} is given twice`);
  return keys;
}
