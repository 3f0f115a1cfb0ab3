// First-layer prompt-injection detector: normalise, match a table of weighted
// regex rules, sum the weights, compare with a threshold.
//
// This layer is meant to be cheap (a fraction of a millisecond for a 4 KB
// prompt) and explainable (each finding names an attack family). It is not a
// semantic classifier; see docs/detection.md for measured recall and
// false-positive rates and the known blind spots.
//
// Matching strategy (see rules.ts for how rules are written):
//   1. normalise the text (normalize.ts);
//   2. walk its [a-z0-9]+ tokens once, looking each up in one hash table of
//      the words the rules care about: note which of them occur and where
//      the rules' key words are (and feed the letters to the compact rules'
//      start-string automaton);
//   3. at each key word, in text order, try the sticky regex of each rule
//      keyed on it, unless its prefilter rules it out: the token before the
//      key is not the one the phrase needs, or a word every match contains
//      (prefilter.ts) occurs nowhere in the text;
//   4. run the handful of non-token rules (compact view, emoji, identifiers);
//      the compact view is only built when a compact rule's start string
//      occurs in the letters;
//   5. weigh every match by its context (context.ts): a negated, guarded or
//      merely quoted match counts less or not at all, and the rule keeps
//      looking for a match that counts fully;
//   6. count distinct lexicon words;
//   7. sum the weights of the matched signals, each times its best factor.
// The prefilters only skip regexes that cannot match, in the same order as
// before, so results (including which matches the context budget covers) do
// not depend on them.
// No rule regex is ever run over the whole text per rule, so the cost grows
// with the number of key-word hits rather than with rules × text length.

import { CodeUnits } from '../../util/code-units.js';
import { contextFactor, type ContextCheck, type ContextMemo } from './context.js';
import { compactView, normalizeForDetection } from './normalize.js';
import { HASH_SEED, LetterAutomaton, maxReadLength, requiredTokens, sentenceBound, tokenHash, TokenTable } from './prefilter.js';
import { LEXICON_RULES, PATTERN_RULES, type PatternRule, type RuleView } from './rules.js';
import { scanScripts } from './multilingual.js';

export interface InjectionFinding {
  family: string;
}

export interface InjectionResult {
  detected: boolean;
  score: number;
  findings: InjectionFinding[];
}

export interface InjectionDetectorOptions {
  /** Score at or above which a text is flagged. Default 1.0 (one strong signal). */
  threshold?: number;
  /**
   * Weigh each match by its context (negation, defensive or conditional
   * framing, quotation; see context.ts). Default true. `false` counts every
   * match fully, as before context checks existed; meant for evaluation.
   */
  contextChecks?: boolean;
  /**
   * Try the compact (letters-only) rules on windows from each start string, without building
   * the view of the whole text. Default true; `false` builds the whole view, as before (the tests
   * compare the two).
   */
  compactWindows?: boolean;
}

export interface InjectionDetector {
  scan(text: string): InjectionResult;
}

export const DEFAULT_INJECTION_THRESHOLD = 1.0;

/** Start-string ends of the compact rules noted per scan; beyond it the letters-only view is built whole. */
const MAX_COMPACT_ENDS = 64;

/** Context checks per scan (see context.ts); later matches count fully. */
const CONTEXT_BUDGET = 256;

/**
 * A scoring signal. Rules that share an id in rules.ts (alternative spellings
 * of one signal, e.g. the same phrase on the text and compact views) share one
 * Signal and count once.
 */
interface Signal {
  readonly family: string;
  readonly weight: number;
  readonly context: readonly ContextCheck[];
}

interface CompiledScanRule {
  readonly signal: number;
  readonly view: RuleView;
  readonly mode: Exclude<PatternRule['mode'], 'anchored'>;
  /** substring-anchored: sticky ('y'). scan: stateless (no 'g'/'y'). */
  readonly re: RegExp;
  readonly substrings: readonly string[];
}

/** One sticky regex of an anchored rule, tried where its key token occurs. */
interface StickyEntry {
  readonly signal: number;
  readonly re: RegExp;
  /** Token ids: the token right before the key must be one of these (see AnchoredEntry.prevTokens). */
  readonly prev: ReadonlySet<number> | null;
  /** Token ids: each clause needs one of its tokens in the text, or in the key's sentence when bounded (prefilter.ts). */
  readonly clauses: readonly Int32Array[];
  /**
   * No match of the regex (look-arounds included) can hold '.', '!' or '?' (sentenceBound): its
   * clauses must then hold in the key's own sentence, not just somewhere in the text.
   */
  readonly bounded: boolean;
}

interface CompiledLexiconRule {
  readonly signal: number;
  readonly family: string;
  readonly tiers: readonly (readonly [number, number])[];
}

/** Everything the scanner needs to know about one token value. */
interface TokenInfo {
  readonly entries: StickyEntry[];
  /** Indexes into CompiledTables.lexicons. */
  readonly lexicons: number[];
}

interface CompiledTables {
  readonly signals: readonly Signal[];
  readonly scanRules: readonly CompiledScanRule[];
  readonly lexicons: readonly CompiledLexiconRule[];
  /** Every token the rules care about (keys, lexicon words, previous tokens, required words) → id. */
  readonly table: TokenTable;
  /** By token id. */
  readonly infos: readonly TokenInfo[];
  readonly needsCompact: boolean;
  /**
   * Finds the start strings of the compact-view rules in the letters of the
   * text; null when some compact rule has none (then the view is always built).
   * Non-absorbing when `compactReach` is finite: the token pass then notes where each start
   * string ends, and the rules are tried on windows of `compactReach` letters from there.
   */
  readonly compactStarts: LetterAutomaton | null;
  /** Letters a compact rule's match can read from its start (the largest over the rules; Infinity: build the whole view). */
  readonly compactReach: number;
  /** The compact rules' start strings, in order (indexes of compactStarts.ends); each rule's own, by rule. */
  readonly compactStringIds: ReadonlyMap<CompiledScanRule, readonly number[]>;
  /**
   * One regex for the substrings of every text-view scan rule: most texts hold none of them, and
   * one pass answers for all (about 2.4 µs per 4 KB, against 6–7 µs for an includes() per
   * substring); the rules' own substrings are looked at only when it matches. Null: no such rule.
   */
  readonly scanGate: RegExp | null;
}

/** Number of capturing groups in a regex source: '(' not escaped, not in a class, not followed by '?'. */
function capturingGroups(source: string): number {
  let n = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(' && source[i + 1] !== '?') n++;
  }
  return n;
}

function compileRegex(id: string, source: string, flags: string): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw new Error(`injection rule ${id}: invalid pattern: ${(err as Error).message}`);
  }
}

/** A regex that matches where any of `subs` occurs, or null for none. */
function gateOf(subs: readonly string[]): RegExp | null {
  if (subs.length === 0) return null;
  // Syntax characters escaped ('u' allows no other escapes).
  return new RegExp(subs.map((x) => x.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')).join('|'), 'u');
}

function compileTables(): CompiledTables {
  const signals: Signal[] = [];
  const signalIndex = new Map<string, number>();
  const signalFor = (id: string, family: string, weight: number, context: readonly ContextCheck[]): number => {
    const known = signalIndex.get(id);
    if (known !== undefined) {
      const s = signals[known];
      if (s && (s.family !== family || s.weight !== weight || s.context.join() !== context.join())) {
        throw new Error(`injection rule ${id}: rules sharing an id must share family, weight and context checks`);
      }
      return known;
    }
    signals.push({ family, weight, context });
    signalIndex.set(id, signals.length - 1);
    return signals.length - 1;
  };

  // Token ids are assigned in order of first use; TokenInfo per id.
  const ids = new Map<string, number>();
  const infos: TokenInfo[] = [];
  const tokenId = (tok: string): number => {
    let id = ids.get(tok);
    if (id === undefined) {
      if (!/^[a-z0-9]+$/.test(tok)) throw new Error(`injection rules: key ${tok} is not a [a-z0-9]+ token`);
      id = infos.length;
      ids.set(tok, id);
      infos.push({ entries: [], lexicons: [] });
    }
    return id;
  };
  const tokenInfo = (tok: string): TokenInfo => infos[tokenId(tok)] as TokenInfo;

  // 'u' for astral characters (emoji) in a few rules. Anchored entries get 'y'
  // so RegExp.test tries exactly one start position (lastIndex).
  const scanRules: CompiledScanRule[] = [];
  for (const r of PATTERN_RULES) {
    const signal = signalFor(r.id, r.family, r.weight, r.context);
    if (r.mode === 'anchored') {
      for (const e of r.entries) {
        const re = compileRegex(r.id, e.source, 'uy');
        // The only capturing groups allowed are the look-behind leads (see leadLength).
        if (capturingGroups(e.source) !== e.source.split('(?<=(').length - 1) {
          throw new Error(`injection rule ${r.id}: unexpected capturing group`);
        }
        const bounded = sentenceBound(e.source);
        const clauses = requiredTokens(e.source, e.tokens, bounded ? 'sentence' : 'text').map((words) => Int32Array.from(words, tokenId));
        const entry = { signal, re, prev: e.prevTokens ? new Set(e.prevTokens.map(tokenId)) : null, clauses, bounded };
        for (const tok of e.tokens) tokenInfo(tok).entries.push(entry);
      }
    } else {
      const flags = r.mode === 'substring-anchored' ? 'uy' : 'u';
      scanRules.push({ signal, view: r.view, mode: r.mode, re: compileRegex(r.id, r.source, flags), substrings: r.substrings });
    }
  }

  const lexicons = LEXICON_RULES.map((r, idx): CompiledLexiconRule => {
    for (const w of r.words) {
      const l = tokenInfo(w).lexicons;
      if (!l.includes(idx)) l.push(idx);
    }
    // Lexicon weights vary by tier, so the signal's nominal weight is unused.
    return { signal: signalFor(r.id, r.family, 0, []), family: r.family, tiers: r.tiers };
  });

  // Every compact rule needs one of its substrings in the compact view (letters only).
  const compactRules = scanRules.filter((r) => r.view === 'compact');
  const starts = compactRules.flatMap((r) => r.substrings);
  const gated = compactRules.every((r) => r.substrings.length > 0) && starts.every((x) => /^[a-z]+$/.test(x));
  // (A rule that could match the empty string would be weighed from the letter before its start: not windowed.)
  const compactReach = gated && compactRules.length > 0 && compactRules.every((r) => !new RegExp(r.re.source, 'uy').test(''))
    ? Math.max(...compactRules.map((r) => maxReadLength(r.re.source)))
    : Infinity;
  const compactStringIds = new Map<CompiledScanRule, number[]>();
  let nextId = 0;
  for (const r of compactRules) compactStringIds.set(r, r.substrings.map(() => nextId++));
  return {
    signals, scanRules, lexicons, table: new TokenTable([...ids.keys()]), infos,
    needsCompact: compactRules.length > 0,
    compactStarts: gated && compactRules.length > 0 ? new LetterAutomaton(starts, compactReach === Infinity) : null,
    compactReach,
    compactStringIds,
    scanGate: gateOf(scanRules.filter((r) => r.mode === 'scan' && r.view === 'text').flatMap((r) => r.substrings)),
  };
}

/**
 * Try a sticky regex at every occurrence of any of the substrings; `weigh`
 * gives each match [start, end) its context factor. Returns the best factor
 * (0 when nothing matched), stopping at the first match that counts fully.
 */
function substringAnchoredMatch(
  re: RegExp,
  substrings: readonly string[],
  subject: string,
  weigh: (start: number, end: number) => number,
): number {
  let best = 0;
  for (const sub of substrings) {
    for (let at = subject.indexOf(sub); at >= 0; at = subject.indexOf(sub, at + 1)) {
      re.lastIndex = at;
      if (!re.test(subject)) continue;
      const f = weigh(at, re.lastIndex);
      if (f >= 1) return 1;
      if (f > best) best = f;
    }
  }
  return best;
}

/** Start of the whole match of an anchored entry: the key position minus the captured look-behind lead. */
function leadLength(m: RegExpExecArray): number {
  for (let g = 1; g < m.length; g++) {
    const lead = m[g];
    if (lead !== undefined) return lead.length;
  }
  return 0;
}

/**
 * Map positions in the compact (letters-only) view back to the normalised
 * text: entry k is the index of the k-th letter; entry length is the text length.
 */
function compactPositions(normalized: string): Int32Array {
  let letters = 0;
  for (let i = 0; i < normalized.length; i++) {
    const c = normalized.charCodeAt(i);
    if (c >= 97 && c <= 122) letters++;
  }
  const map = new Int32Array(letters + 1);
  let k = 0;
  for (let i = 0; i < normalized.length; i++) {
    const c = normalized.charCodeAt(i);
    if (c >= 97 && c <= 122) map[k++] = i;
  }
  map[letters] = normalized.length;
  return map;
}

/**
 * Marks on token ids, cleared in O(1): `at[id] === stamp` marks id for the current stamp, and
 * next() starts a new stamp (a full clear only when the counter wraps).
 */
class Marks {
  readonly at: Int32Array;
  private stamp = 0;
  constructor(size: number) {
    this.at = new Int32Array(size);
  }

  next(): number {
    if (this.stamp === 0x7fffffff) {
      this.at.fill(0);
      this.stamp = 0;
    }
    return ++this.stamp;
  }
}

/** A copy of `a` with twice the room. */
function grown(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function lexiconWeight(tiers: readonly (readonly [number, number])[], distinct: number): number {
  let weight = 0;
  for (const [count, w] of tiers) if (distinct >= count) weight = w;
  return weight;
}

export function createInjectionDetector(opts: InjectionDetectorOptions = {}): InjectionDetector {
  const threshold = opts.threshold ?? DEFAULT_INJECTION_THRESHOLD;
  const useContext = opts.contextChecks ?? true;
  if (!Number.isFinite(threshold) || threshold <= 0) {
    throw new RangeError(`injection detector threshold must be a positive number, got ${threshold}`);
  }
  // All regex compilation and table building happens here, once per detector.
  const t = compileTables();

  const acNext = t.compactStarts?.next ?? new Int32Array(26);
  // Windowed compact rules: where each start string ends (normalised index of its last letter)
  // and the automaton's state there, for the first MAX_COMPACT_ENDS of them.
  // (The automaton is non-absorbing whenever the reach is finite: then every end is counted.)
  const counting = t.compactReach !== Infinity && t.compactStarts !== null;
  const windowed = counting && opts.compactWindows !== false;
  const acEnds = counting && t.compactStarts !== null ? t.compactStarts.accepts : new Uint8Array(acNext.length / 26);
  const compactEndAt = new Int32Array(MAX_COMPACT_ENDS);
  const compactEndState = new Int32Array(MAX_COMPACT_ENDS);

  // Per-detector scratch state, reused by every scan (scan is synchronous).
  // seen.at[id] === gen: token id occurs in the text being scanned.
  const seen = new Marks(t.infos.length);
  // Key occurrences of the current scan: position, token id, previous token id.
  let hitAt = new Int32Array(256);
  let hitId = new Int32Array(256);
  let hitPrev = new Int32Array(256);
  const growHits = (): void => {
    hitAt = grown(hitAt);
    hitId = grown(hitId);
    hitPrev = grown(hitPrev);
    hitSeg = grown(hitSeg);
  };
  /** Each clause has a token id marked with `stamp` in `marks` (seen: the text; inSentence: the key's sentence). */
  const clausesHold = (clauses: readonly Int32Array[], marks: Int32Array, stamp: number): boolean => {
    for (const clause of clauses) {
      let ok = false;
      for (let k = 0; k < clause.length; k++) {
        if (marks[clause[k] as number] === stamp) {
          ok = true;
          break;
        }
      }
      if (!ok) return false;
    }
    return true;
  };

  // Sentences ('.', '!' and '?' end one) of the current scan: the sentence of each key occurrence
  // (hitSeg), and every rule-word occurrence with its sentence (occId, occSeg), in text order.
  let hitSeg = new Int32Array(256);
  let occId = new Int32Array(1024);
  let occSeg = new Int32Array(1024);
  // inSentence.at[id] === stamp: token id occurs in the sentence being tried (pass 2).
  const inSentence = new Marks(t.infos.length);
  // Ids first seen in the current scan, in order (for the lexicon counts).
  let firstSeen = new Int32Array(64);
  const keyed = Uint8Array.from(t.infos, (info) => (info.entries.length > 0 ? 1 : 0));
  const passResult = { hits: 0, ac: 0, firstSeenCount: 0, occurrences: 0, compactEnds: 0 };
  /**
   * Pass 1 over the tokens ([a-z0-9]+ runs) of normalised text: look each one
   * up (hashed as it is read, never sliced), mark the rule words present
   * (seen), list those first seen (firstSeen), note where keys occur (hitAt,
   * hitId, hitPrev, hitSeg), list every rule-word occurrence with its
   * sentence (occId, occSeg) and feed the letters to the compact-view
   * start-string automaton. Its own function with only numbers and typed arrays in the
   * loop, so the optimiser keeps everything in registers.
   */
  const codeUnits = new CodeUnits();
  function tokenPass(normalized: string, gen: number): typeof passResult {
    const table = t.table;
    const seenAt = seen.at;
    const n = normalized.length;
    const units = codeUnits.of(normalized);
    let hits = 0;
    let seenCount = 0;
    let occurrences = 0;
    let sentence = 0;
    let start = -1;
    let hash = HASH_SEED;
    // Id of the token before the current one (-1: none, or not a rule word).
    let lastId = -1;
    // State of the compact-view start-string automaton (letters only, digits skipped like the view does).
    let ac = 0;
    let compactEnds = 0;
    for (let i = 0; i <= n; i++) {
      const c = i < n ? (units[i] as number) : 32;
      if (c >= 97 && c <= 122) {
        if (start < 0) {
          start = i;
          hash = HASH_SEED;
        }
        hash = tokenHash(hash, c);
        ac = acNext[ac * 26 + c - 97] as number;
        if (acEnds[ac] === 1) {
          if (compactEnds < MAX_COMPACT_ENDS) {
            compactEndAt[compactEnds] = i;
            compactEndState[compactEnds] = ac;
          }
          compactEnds++;
        }
        continue;
      }
      if (c >= 48 && c <= 57) {
        if (start < 0) {
          start = i;
          hash = HASH_SEED;
        }
        hash = tokenHash(hash, c);
        continue;
      }
      if (start >= 0) {
        const id = table.lookup(units, start, i, hash);
        const prevId = lastId;
        lastId = id;
        const at = start;
        start = -1;
        if (id >= 0) {
          if (seenAt[id] !== gen) {
            seenAt[id] = gen;
            if (seenCount === firstSeen.length) firstSeen = grown(firstSeen);
            firstSeen[seenCount++] = id;
          }
          if (occurrences === occId.length) {
            occId = grown(occId);
            occSeg = grown(occSeg);
          }
          occId[occurrences] = id;
          occSeg[occurrences] = sentence;
          occurrences++;
          if (keyed[id] === 1) {
            if (hits === hitAt.length) growHits();
            hitAt[hits] = at;
            hitId[hits] = id;
            hitPrev[hits] = prevId;
            hitSeg[hits] = sentence;
            hits++;
          }
        }
      }
      if (c === 46 || c === 33 || c === 63) sentence++; // . ! ?
    }
    passResult.hits = hits;
    passResult.ac = ac;
    passResult.firstSeenCount = seenCount;
    passResult.occurrences = occurrences;
    passResult.compactEnds = compactEnds;
    return passResult;
  }

  /**
   * substringAnchoredMatch on the compact view, without building it: at each noted end of one of
   * the rule's start strings (in the rule's order of strings, then in text order, as indexOf
   * would find them), the letters from the string's first one on, compactReach of them, are the
   * only part of the view the rule's sticky regex can read there (maxReadLength). `weigh` gets
   * the match's span in the normalised text.
   */
  const windowLetters = new Uint8Array(Number.isFinite(t.compactReach) ? t.compactReach : 0);
  const windowAt = new Int32Array(windowLetters.length);
  function windowMatch(rule: CompiledScanRule, normalized: string, ends: number, weigh: (from: number, to: number) => number): number {
    const ids = t.compactStringIds.get(rule) ?? [];
    const endsAt = t.compactStarts?.ends ?? [];
    let best = 0;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k] as number;
      const len = (rule.substrings[k] as string).length;
      for (let j = 0; j < ends; j++) {
        if (!(endsAt[compactEndState[j] as number] ?? []).includes(id)) continue;
        // The string's first letter: len letters back from its last one.
        let start = compactEndAt[j] as number;
        for (let left = len - 1; left > 0; ) {
          const c = normalized.charCodeAt(--start);
          if (c >= 97 && c <= 122) left--;
        }
        let n = 0;
        for (let p = start; p < normalized.length && n < windowLetters.length; p++) {
          const c = normalized.charCodeAt(p);
          if (c < 97 || c > 122) continue;
          windowLetters[n] = c;
          windowAt[n++] = p;
        }
        const window = Buffer.from(windowLetters.buffer, 0, n).toString('latin1');
        rule.re.lastIndex = 0;
        if (!rule.re.test(window)) continue;
        const end = rule.re.lastIndex;
        const f = weigh(windowAt[0] as number, end > 0 ? (windowAt[end - 1] as number) + 1 : (windowAt[0] as number));
        if (f >= 1) return 1;
        if (f > best) best = f;
      }
    }
    return best;
  }

  function scan(text: string): InjectionResult {
    const normalized = normalizeForDetection(text);
    // Best context factor seen per signal (0 = no counting match yet). A
    // signal is only skipped once a match counted fully.
    const factor = new Float64Array(t.signals.length);
    const credit = (signal: number, f: number): void => {
      if (f > (factor[signal] ?? 0)) factor[signal] = f;
    };
    // What precedes each matched position, shared by the rules matching there.
    const memo: ContextMemo = new Map();
    // Context checks are bounded per scan: past the budget a match counts
    // fully. Text that long and that dense with attack phrases is flagged,
    // not excused, and the cost of the checks stays a small constant.
    let budget = CONTEXT_BUDGET;
    const weigh = (checks: readonly ContextCheck[], start: number, end: number): number =>
      !useContext || checks.length === 0 || budget-- <= 0 ? 1 : contextFactor(normalized, start, end, checks, memo);

    // Pass 1 over the tokens (tokenPass): mark the rule words present in the
    // text, count lexicon words, and note where keys occur.
    const gen = seen.next();
    const lexCount = new Int32Array(t.lexicons.length);
    const passEnd = tokenPass(normalized, gen);
    const hits = passEnd.hits;
    const ac = passEnd.ac;
    const occurrences = passEnd.occurrences;
    for (let k = 0; k < passEnd.firstSeenCount; k++) {
      for (const li of (t.infos[firstSeen[k] as number] as TokenInfo).lexicons) lexCount[li] = (lexCount[li] ?? 0) + 1;
    }

    // Pass 2, in text order: at each key, try the anchored rules keyed on it
    // whose previous token and required words are there.
    // The rule words of the key's sentence are stamped when its first key is reached (keys come
    // in text order, so sentences do too); a sentence-bound entry's clauses must hold there.
    let sentence = -1;
    let stamp = 0;
    let occ = 0;
    for (let k = 0; k < hits; k++) {
      const at = hitAt[k] as number;
      const prevId = hitPrev[k] as number;
      if (hitSeg[k] !== sentence) {
        sentence = hitSeg[k] as number;
        stamp = inSentence.next();
        while (occ < occurrences && (occSeg[occ] as number) < sentence) occ++;
        for (; occ < occurrences && occSeg[occ] === sentence; occ++) inSentence.at[occId[occ] as number] = stamp;
      }
      for (const e of (t.infos[hitId[k] as number] as TokenInfo).entries) {
        if (factor[e.signal] === 1) continue;
        // Entries keyed on a later word of their phrase need the word before it ("never" before "refuse").
        if (e.prev !== null && !e.prev.has(prevId)) continue;
        if (!(e.bounded ? clausesHold(e.clauses, inSentence.at, stamp) : clausesHold(e.clauses, seen.at, gen))) continue;
        // test() first: most tries fail, and a failed test() allocates nothing.
        e.re.lastIndex = at;
        if (!e.re.test(normalized)) continue;
        e.re.lastIndex = at;
        const m = e.re.exec(normalized);
        if (!m) continue;
        const s = t.signals[e.signal];
        if (!s) continue;
        credit(e.signal, weigh(s.context, at - leadLength(m), e.re.lastIndex));
      }
    }

    // Non-token rules: compact-view rules are tried at each occurrence of
    // their start substrings (and weighed at the corresponding text
    // positions); scan rules (emoji tags, identifiers) search the text only
    // when a prefilter substring occurs. Without any start string in the
    // letters, no compact rule can match and the view is not built.
    const compactEnds = passEnd.compactEnds;
    // Windows of compactReach letters from each start string, unless there are too many of them.
    const inWindows = windowed && compactEnds <= MAX_COMPACT_ENDS;
    const compactMatters = t.needsCompact && (t.compactStarts === null || (counting ? compactEnds > 0 : t.compactStarts.accepts[ac] === 1));
    const compact = compactMatters && !inWindows ? compactView(normalized) : '';
    let positions: Int32Array | undefined;
    let gateOpen: boolean | undefined;
    for (const rule of t.scanRules) {
      if (factor[rule.signal] === 1) continue;
      if (rule.view === 'compact' && !compactMatters) continue;
      const s = t.signals[rule.signal];
      if (!s) continue;
      const subject = rule.view === 'compact' ? compact : normalized;
      if (rule.view === 'compact' && inWindows) {
        credit(rule.signal, windowMatch(rule, normalized, compactEnds, (from, to) => weigh(s.context, from, to)));
      } else if (rule.mode === 'substring-anchored') {
        credit(rule.signal, substringAnchoredMatch(rule.re, rule.substrings, subject, (start, end) => {
          if (rule.view !== 'compact') return weigh(s.context, start, end);
          positions ??= compactPositions(normalized);
          const from = positions[start] ?? 0;
          const to = end > 0 ? (positions[end - 1] ?? normalized.length - 1) + 1 : from;
          return weigh(s.context, from, to);
        }));
      } else if (rule.substrings.length === 0 || ((rule.view !== 'text' || (gateOpen ??= t.scanGate === null || t.scanGate.test(normalized))) && rule.substrings.some((sub) => subject.includes(sub)))) {
        // Scan rules are weighed at their first match only (they are weak, rare signals).
        const m = rule.re.exec(subject);
        if (m) credit(rule.signal, weigh(s.context, m.index, m.index + m[0].length));
      }
    }

    const familyWeight = new Map<string, number>();
    let score = 0;
    const add = (family: string, weight: number): void => {
      if (weight <= 0) return;
      score += weight;
      familyWeight.set(family, (familyWeight.get(family) ?? 0) + weight);
    };
    t.signals.forEach((s, i) => {
      const f = factor[i] ?? 0;
      if (f > 0) add(s.family, s.weight * f);
    });
    // Non-Latin scripts (multilingual.ts): their own view, only when the script occurs; each rule id counts once.
    const scriptIds = new Set<string>();
    for (const h of scanScripts(text)) {
      if (scriptIds.has(h.id)) continue;
      scriptIds.add(h.id);
      add(h.family, h.weight);
    }
    t.lexicons.forEach((rule, k) => {
      const w = lexiconWeight(rule.tiers, lexCount[k] ?? 0);
      if (w > 0 && (factor[rule.signal] ?? 0) === 0) add(rule.family, w);
    });

    // Report families strongest first, so findings[0] is the best explanation.
    const findings = [...familyWeight.entries()].sort((a, b) => b[1] - a[1]).map(([family]) => ({ family }));

    // Round away float noise (0.1 + 0.2) so scores compare cleanly with thresholds.
    score = Math.round(score * 1000) / 1000;
    return { detected: score >= threshold, score, findings };
  }

  return { scan };
}
