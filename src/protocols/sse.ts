/**
 * Server-sent events, split as they stream: bytes in, complete events out (each with its raw
 * text, so an event that is not changed is re-emitted byte for byte). An event ends at a blank
 * line (\n\n, \r\n\r\n or \r\r). Text after the last blank line waits for the next chunk; a
 * single event larger than `maxEventBytes` is an error (a model server does not send those).
 */
import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  /** The event's text including its terminating blank line. */
  raw: string;
  /** The joined `data:` lines, or null when the event has none (comments, retry: …). */
  data: string | null;
}

const BOUNDARY = /\r\n\r\n|\n\n|\r\r/g;

export function parseEventData(block: string): string | null {
  let data: string | null = null;
  for (const line of block.split(/\r\n|\n|\r/)) {
    if (!line.startsWith('data:')) continue;
    const v = line.charCodeAt(5) === 0x20 ? line.slice(6) : line.slice(5);
    data = data === null ? v : `${data}\n${v}`;
  }
  return data;
}

/** parseEventData(text.slice(from, to)) for a block without CR: one `data:` line is sliced directly. */
function lfEventData(text: string, from: number, to: number): string | null {
  const nl = text.indexOf('\n', from);
  if (nl >= 0 && nl < to) return parseEventData(text.slice(from, to));
  if (!text.startsWith('data:', from)) return null;
  return text.slice(text.charCodeAt(from + 5) === 0x20 ? from + 6 : from + 5, to);
}

export class SseSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private readonly maxEventBytes: number;

  constructor(maxEventBytes = 1024 * 1024) {
    this.maxEventBytes = maxEventBytes;
  }

  /** Feed a chunk; get the events it completes. */
  push(chunk: Buffer): SseEvent[] {
    this.pending += this.decoder.write(chunk);
    const p = this.pending;
    const out: SseEvent[] = [];
    let start = 0;
    if (p.indexOf('\r') < 0) {
      // No CR anywhere (what every model server sends): the only boundary is \n\n, found by
      // indexOf, and a one-line `data:` event needs no split. Same events as the general path
      // below (a property test compares them), without a match array and a line array per event.
      for (let i = p.indexOf('\n\n'); i >= 0; i = p.indexOf('\n\n', start)) {
        out.push({ raw: p.slice(start, i + 2), data: lfEventData(p, start, i) });
        start = i + 2;
      }
    } else {
      BOUNDARY.lastIndex = 0;
      for (let m = BOUNDARY.exec(p); m !== null; m = BOUNDARY.exec(p)) {
        const end = m.index + m[0].length;
        const raw = p.slice(start, end);
        out.push({ raw, data: parseEventData(raw.slice(0, m.index - start)) });
        start = end;
      }
    }
    this.pending = start === 0 ? p : p.slice(start);
    if (this.pending.length > this.maxEventBytes) throw new Error('SSE event too large');
    return out;
  }

  /** What is left when the stream ends (an unterminated last event), as raw text. */
  rest(): string {
    return this.pending + this.decoder.end();
  }
}
