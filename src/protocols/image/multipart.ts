/**
 * multipart/form-data image uploads (e.g. /v1/images/edits, custom vision endpoints).
 *
 * readMultipart streams the body through @fastify/busboy: exactly one file part, at most
 * MAX_FIELDS small text fields, and the file size enforced while streaming: as soon as the file
 * passes maxBytes the source stream is detached and paused and the promise settles, nothing more
 * is buffered. The whole body is also capped (preamble, epilogue and skipped parts are otherwise
 * unbounded in a multipart parser). On a denial the source stream is left paused and unpiped:
 * the caller answers and closes the connection.
 *
 * buildMultipart writes a fresh body (own random boundary, canonical headers, no
 * Content-Transfer-Encoding) so the model server parses exactly the parts that were checked,
 * never the client's original bytes with their parser-differential tricks.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Busboy, type BusboyFileStream, type BusboyInstance } from '@fastify/busboy';
import { deny, type Denial, type ErrorCode } from '../../errors.js';
import { extensionFor, type ImageLimits } from './types.js';

export const MAX_FIELDS = 16;
export const MAX_FIELD_BYTES = 64 * 1024;
/** Field and file names are short; busboy does not limit them itself. */
export const MAX_NAME_CHARS = 256;
const MAX_PART_HEADER_BYTES = 8 * 1024;
/** Room for the part headers and boundaries on top of the file and the fields. */
const BODY_OVERHEAD = 64 * 1024;

export interface MultipartImage {
  file: Buffer;
  /** The part's Content-Type; null when it says nothing (absent, text/plain, application/octet-stream). */
  fileType: string | null;
  filename: string | null;
  fieldName: string;
  fields: Array<[string, string]>;
}

const IDENTITY_ENCODINGS = new Set(['7bit', '8bit', 'binary']);

export function readMultipart(stream: Readable, contentType: string, limits: ImageLimits): Promise<Denial | MultipartImage> {
  return new Promise((resolve) => {
    if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
      resolve(deny('MG_UNSUPPORTED_MEDIA_TYPE', 'not multipart/form-data'));
      return;
    }
    if (stream.readableEnded || stream.destroyed) {
      resolve(deny('MG_BODY_INCOMPLETE', 'stream already consumed'));
      return;
    }
    let bb: BusboyInstance;
    try {
      bb = Busboy({
        headers: { 'content-type': contentType },
        limits: {
          fileSize: limits.maxBytes,
          files: 1,
          fields: MAX_FIELDS,
          fieldSize: MAX_FIELD_BYTES,
          parts: MAX_FIELDS + 1,
          headerPairs: 16,
          headerSize: MAX_PART_HEADER_BYTES,
        },
        // A part is the file when it has a filename or a real content type (busboy's default
        // would treat `Content-Type: image/png` without a filename as a text field).
        isPartAFile: (_name, type, filename) => filename !== undefined || (type !== undefined && type !== 'text/plain'),
      });
    } catch (err) {
      resolve(deny('MG_REQUEST_INVALID', `multipart: ${(err as Error).message}`));
      return;
    }

    const bodyCap = limits.maxBytes + MAX_FIELDS * (MAX_FIELD_BYTES + MAX_PART_HEADER_BYTES) + BODY_OVERHEAD;
    let bodyBytes = 0;
    let ended = false;
    let settled = false;
    let file: { name: string; filename: string | null; type: string | null; chunks: Buffer[]; stream: BusboyFileStream } | null = null;
    const fields: Array<[string, string]> = [];

    const onData = (chunk: Buffer): void => {
      bodyBytes += chunk.length;
      if (bodyBytes > bodyCap) { fail('MG_BODY_TOO_LARGE', `multipart body above ${bodyCap} bytes`); return; }
      if (!bb.write(chunk)) stream.pause();
    };
    const onDrain = (): void => { if (!settled) stream.resume(); };
    const onEnd = (): void => { ended = true; bb.end(); };
    const onError = (err: Error): void => fail('MG_BODY_INCOMPLETE', `stream: ${err.message}`);
    const onClose = (): void => { if (!ended) fail('MG_BODY_INCOMPLETE', 'stream closed before its end'); };

    function detach(): void {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      stream.pause();
      bb.off('drain', onDrain);
      bb.removeAllListeners('file').removeAllListeners('field').removeAllListeners('finish');
      bb.on('error', () => undefined);
      file?.stream.removeAllListeners('data');
      file?.stream.on('error', () => undefined);
      file?.stream.resume();
    }
    function settle(v: Denial | MultipartImage): void {
      if (settled) return;
      settled = true;
      detach();
      resolve(v);
    }
    function fail(code: ErrorCode, detail: string): void {
      settle(deny(code, detail));
    }

    bb.on('file', (name: string | undefined, fs: BusboyFileStream, filename: string | undefined, encoding: string, mime: string) => {
      fs.on('error', (err: Error) => fail('MG_REQUEST_INVALID', `multipart file: ${err.message}`));
      if (name === undefined || name.length === 0 || name.length > MAX_NAME_CHARS || (filename !== undefined && filename.length > MAX_NAME_CHARS)) {
        fail('MG_REQUEST_INVALID', 'multipart file part name');
        return;
      }
      if (!IDENTITY_ENCODINGS.has(encoding)) { fail('MG_REQUEST_INVALID', `multipart transfer encoding ${encoding}`); return; }
      const type = mime === 'text/plain' || mime === 'application/octet-stream' ? null : mime;
      const f = { name, filename: filename === undefined || filename === '' ? null : filename, type, chunks: [] as Buffer[], stream: fs };
      file = f;
      fs.on('data', (c: Buffer) => { f.chunks.push(c); });
      fs.on('limit', () => fail('MG_IMAGE_TOO_LARGE', `multipart file above ${limits.maxBytes} bytes`));
    });
    bb.on('field', (name: string | undefined, value: string, nameTruncated: boolean, valueTruncated: boolean, encoding: string) => {
      if (valueTruncated) { fail('MG_REQUEST_INVALID', `multipart field above ${MAX_FIELD_BYTES} bytes`); return; }
      if (name === undefined || name.length === 0 || name.length > MAX_NAME_CHARS || nameTruncated) { fail('MG_REQUEST_INVALID', 'multipart field name'); return; }
      if (!IDENTITY_ENCODINGS.has(encoding)) { fail('MG_REQUEST_INVALID', `multipart transfer encoding ${encoding}`); return; }
      fields.push([name, value]);
    });
    bb.on('filesLimit', () => fail('MG_TOO_MANY_IMAGES', 'more than one file part'));
    bb.on('fieldsLimit', () => fail('MG_REQUEST_INVALID', `more than ${MAX_FIELDS} fields`));
    bb.on('partsLimit', () => fail('MG_REQUEST_INVALID', 'too many parts'));
    bb.on('error', (err: unknown) => fail('MG_REQUEST_INVALID', `multipart: ${(err as Error).message}`));
    bb.on('finish', () => {
      if (file === null) { fail('MG_REQUEST_INVALID', 'no file part'); return; }
      if (file.stream.truncated) { fail('MG_IMAGE_TOO_LARGE', 'multipart file truncated at the limit'); return; }
      settle({ file: Buffer.concat(file.chunks), fileType: file.type, filename: file.filename, fieldName: file.name, fields });
    });
    bb.on('drain', onDrain);

    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
    stream.resume();
  });
}

/** WHATWG form-data encoding of a name or filename inside a quoted header parameter. */
function quoteParam(s: string): string {
  return s.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
}

const MIME_TOKEN = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;

export function buildMultipart(part: { file: Buffer; fileType: string; filename: string | null; fieldName: string; fields: Array<[string, string]> }): { body: Buffer; contentType: string } {
  if (!MIME_TOKEN.test(part.fileType)) throw new TypeError('buildMultipart: invalid fileType');
  const values = part.fields.map(([name, value]) => [name, Buffer.from(value, 'utf8')] as const);
  for (;;) {
    const boundary = `----modelgate-${randomBytes(18).toString('hex')}`;
    const delimiter = Buffer.from(`--${boundary}`, 'latin1');
    // A collision with 144 random bits is not going to happen, but it costs one scan to be sure.
    if (part.file.includes(delimiter) || values.some(([, v]) => v.includes(delimiter))) continue;
    const pieces: Buffer[] = [];
    for (const [name, value] of values) {
      pieces.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quoteParam(name)}"\r\n\r\n`, 'utf8'), value, Buffer.from('\r\n'));
    }
    const filename = part.filename ?? `image.${extensionFor(part.fileType)}`;
    pieces.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quoteParam(part.fieldName)}"; filename="${quoteParam(filename)}"\r\nContent-Type: ${part.fileType}\r\n\r\n`, 'utf8'),
      part.file,
      Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'),
    );
    return { body: Buffer.concat(pieces), contentType: `multipart/form-data; boundary=${boundary}` };
  }
}
