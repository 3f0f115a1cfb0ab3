// Shared types of the output-protection (PII / secret) recognizers.
//
// A recognizer family (contact.ts, financial.ts, network.ts, secrets.ts)
// contributes three things to the scanner (scanner.ts):
//   - `find`: every candidate that starts at or after `from`. Candidates are
//     position-local: whether a candidate starts at position p, and where it
//     ends, depends only on the text around p (at most CONTEXT_CHARS before it),
//     never on where an earlier match ended. That is what lets a streamer scan
//     a window (released context + pending text) and get the same answer as a
//     scan of the whole text.
//   - `tail`: the earliest position, no earlier than text.length - MAX_HOLD,
//     at which a candidate of this family could still start, grow, appear or
//     disappear once more text arrives (text.length if none). Families keep
//     the tail conservative: holding too much costs latency, never correctness.
//   - for families with tokens that can outgrow the hold window (long
//     secrets, long e-mail addresses), `isOpen` and a tracker (tracker.ts).

export type PiiType = 'email' | 'ssn' | 'credit_card' | 'phone' | 'iban' | 'ip_address' | 'api_key';

export const PII_TYPES: readonly PiiType[] = ['email', 'ssn', 'credit_card', 'phone', 'iban', 'ip_address', 'api_key'];

export interface PiiMatch {
  type: PiiType;
  /** Detail: card brand ('visa'…), secret kind ('openai', 'aws', 'jwt'…), phone form, IP version. */
  kind?: string;
  start: number;
  end: number;
}

/** The longest suffix holdBack() may ever ask a streamer to keep. */
export const MAX_HOLD = 64;

/** Characters of already released text a streamer must keep as left context. */
export const CONTEXT_CHARS = 64;

/**
 * A confirmed match that may still grow and started more than MAX_HOLD
 * characters before the end of the text. Its type, kind and start are final;
 * only its end is not known yet.
 */
export interface LongToken {
  type: PiiType;
  kind: string;
  start: number;
}

/** Tracks where a long token ends as more text arrives (see tracker.ts). */
export interface TokenTracker {
  /**
   * Feed the next piece of text. Returns null while the token may continue
   * (everything fed so far is part of it or still undecided); once it has
   * ended, returns the text after its end (a suffix of the undecided
   * characters plus `chunk`), which is ordinary text again.
   */
  push(chunk: string): string | null;
  /** End of stream: the held characters that turned out not to be part of the token. */
  finish(): string;
  /** The last (at most CONTEXT_CHARS) raw characters of the token as far as it is known. */
  tail(): string;
}

/** What a family's `find` gets: the text, where candidates may start, shared anchors. */
export interface ScanInput {
  readonly text: string;
  /** Candidates must start at or after this index; text before it is left context only. */
  readonly from: number;
  /** Enabled types. */
  readonly types: ReadonlySet<PiiType>;
  /** Starts of maximal ASCII digit runs at or after `from` (computed once per scan). */
  digitStarts(): readonly number[];
  /**
   * The digit-run starts with at least 4 digits among the next 24 characters
   * of [0-9 ().-/+]: the only places a card, SSN, phone or IPv4 can begin (or,
   * for phones, begin one '+' or '(' earlier).
   */
  numericStarts(): readonly number[];
}

/** Per-family hooks used by the scanner. */
export interface Family {
  readonly types: readonly PiiType[];
  find(input: ScanInput, out: PiiMatch[]): void;
  /** Earliest unsettled position, in [max(0, text.length - MAX_HOLD), text.length]. */
  tail(text: string, types: ReadonlySet<PiiType>): number;
}

/** Tie-break between candidates with the same start and length (higher wins). */
export const TYPE_PRIORITY: Readonly<Record<PiiType, number>> = {
  api_key: 7,
  credit_card: 6,
  iban: 5,
  ssn: 4,
  email: 3,
  ip_address: 2,
  phone: 1,
};
