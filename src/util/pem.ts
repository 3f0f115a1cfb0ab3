/**
 * PEM files for TLS: read them and check them the way the TLS stack will use them, so that a bad
 * file is a configuration problem (at load) or a refused reload (tls-reload.ts), never a listener
 * that serves a broken context. Messages are for the operator's log, never for a client.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';

/** A PEM file that cannot be used; `message` names the problem, not the file's content. */
export class PemError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PemError';
  }
}

export function readPem(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new PemError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle, parsed; at least one. */
export function certificates(pem: Buffer, what: string): X509Certificate[] {
  const blocks = pem.toString('latin1').match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) throw new PemError(`${what} holds no PEM certificate`);
  return blocks.map((b) => {
    try {
      return new X509Certificate(b);
    } catch {
      throw new PemError(`${what} holds a certificate that cannot be parsed`);
    }
  });
}

function privateKey(pem: Buffer, what: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    throw new PemError(`${what} is not a readable, unencrypted PEM private key`);
  }
}

/** A certificate (chain; the first is the leaf) and its key, checked to belong together. */
export interface CheckedPair {
  leaf: X509Certificate;
  /** The leaf's notAfter, in ms since the epoch. */
  notAfterMs: number;
}

export function checkPair(cert: Buffer, key: Buffer, what = 'certificate'): CheckedPair {
  const leaf = certificates(cert, what)[0] as X509Certificate;
  const k = privateKey(key, `the key of the ${what}`);
  if (!leaf.checkPrivateKey(k)) throw new PemError(`the key does not match the ${what}`);
  const notAfterMs = Date.parse(leaf.validTo);
  return { leaf, notAfterMs };
}

/** Whether OpenSSL takes these options as a context (ciphers, versions, the CA bundle). */
export function checkContext(opts: SecureContextOptions): void {
  try {
    createSecureContext(opts);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new PemError(`the TLS context was refused${code === undefined ? '' : ` (${code})`}`);
  }
}
