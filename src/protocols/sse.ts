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
    const out: SseEvent[] = [];
    let start = 0;
    BOUNDARY.lastIndex = 0;
    for (let m = BOUNDARY.exec(this.pending); m !== null; m = BOUNDARY.exec(this.pending)) {
      const end = m.index + m[0].length;
      const raw = this.pending.slice(start, end);
      out.push({ raw, data: parseEventData(raw.slice(0, m.index - start)) });
      start = end;
    }
    this.pending = this.pending.slice(start);
    if (this.pending.length > this.maxEventBytes) throw new Error('SSE event too large');
    return out;
  }

  /** What is left when the stream ends (an unterminated last event), as raw text. */
  rest(): string {
    return this.pending + this.decoder.end();
  }
}
