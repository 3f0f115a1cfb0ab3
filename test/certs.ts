/**
 * Real certificates for TLS tests, made with the `openssl` binary at test time (EC P-256, valid
 * for two days) in a temp dir: a CA, server certificates (SAN DNS:localhost, IP:127.0.0.1) and
 * client certificates (a CN and any SANs, e.g. a SPIFFE URI). No key is ever committed.
 *
 * Without openssl on PATH: under CI (`CI=true`) `openssl()` throws so the run fails; elsewhere
 * `haveOpenssl()` is false and callers skip VISIBLY (t.skip + console.warn of OPENSSL_MISSING).
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPENSSL_MISSING = 'openssl not installed: install it (e.g. apt-get install openssl) to run the TLS tests';

let available: boolean | null = null;
export function haveOpenssl(): boolean {
  if (available === null) {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
      available = true;
    } catch {
      available = false;
    }
    if (!available && process.env.CI === 'true') throw new Error(OPENSSL_MISSING);
    if (!available) console.warn(`SKIPPED: ${OPENSSL_MISSING}`);
  }
  return available;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface Pem {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  /** As Node's getPeerCertificate().fingerprint256 shows it (colon-separated upper-case hex). */
  fingerprint256: string;
}

export interface CertOptions {
  cn: string;
  /** subjectAltName entries, e.g. ['DNS:localhost', 'IP:127.0.0.1', 'URI:spiffe://x/y']. */
  sans?: string[];
  days?: number;
}

/** A temp dir of certificates; `close()` removes it. */
export class CertDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'mg-certs-'));

  private pem(name: string): Pem {
    const certFile = join(this.dir, `${name}.crt`);
    const keyFile = join(this.dir, `${name}.key`);
    const cert = readFileSync(certFile);
    return { certFile, keyFile, cert, key: readFileSync(keyFile), fingerprint256: new X509Certificate(cert).fingerprint256 };
  }

  /** A self-signed CA. */
  ca(name: string): Pem {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', `/CN=${name}`, '-days', '2',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], this.dir);
    return this.pem(name);
  }

  /** A leaf certificate signed by `ca`, usable as server and client certificate. */
  leaf(name: string, ca: Pem, opts: CertOptions): Pem {
    const ext = join(this.dir, `${name}.ext`);
    writeFileSync(ext, [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth,clientAuth',
      ...(opts.sans !== undefined && opts.sans.length > 0 ? [`subjectAltName=${opts.sans.join(',')}`] : []),
    ].join('\n'));
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${opts.cn}`], this.dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', ca.certFile, '-CAkey', ca.keyFile,
      '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', String(opts.days ?? 2), '-extfile', ext, '-out', `${name}.crt`], this.dir);
    return this.pem(name);
  }

  /** A server certificate for 127.0.0.1 / localhost. */
  server(name: string, ca: Pem): Pem {
    return this.leaf(name, ca, { cn: 'localhost', sans: ['DNS:localhost', 'IP:127.0.0.1'] });
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
