// Required-word prefilter for the anchored rules of the pattern layer.
//
// An anchored rule's regex is tried at each occurrence of its key word, and on
// ordinary text most of those tries fail: "write" occurs in benign prompts all
// the time, but a rule keyed on it also needs, say, "system" and "prompt" or
// "instructions" somewhere in the match. This file works out, once per detector
// and from the regex source alone, words that every match of a rule must
// contain as whole tokens (maximal [a-z0-9]+ runs, the detector's tokens), as
// a conjunction of alternatives ("one of previous/prior/above … and one of
// instructions/rules …"). The detector tries the regex only when each
// alternative has a word present in the text. A required word is only derived
// where the regex itself guarantees both token boundaries around a literal
// word (a separator class, \b, a boundary look-around, ^/$, punctuation), so
// the filter can only skip regexes that cannot match: results never change.
//
// Hand-written: the analysis needs the token boundaries around each literal
// (no regex-to-required-literals library at hand does token-level analysis,
// and the one regex parser in node_modules, @eslint-community/regexpp, is a
// development dependency only). It covers the regex syntax the rule tables
// use; anything it does not model (backreferences, '.', wide classes …) is
// treated as "unknown text", which only makes the filter weaker, never wrong.
//
// Model. A regex node is abstracted as a finite set of strings over
// [a-z0-9] (literal token characters), BND (a token boundary: any non-token
// character or a zero-width boundary assertion) and ANY (arbitrary text,
// possibly empty). A token is "required" when a run of literal token
// characters sits between two BNDs. Sets too large to keep exactly are
// reduced to their edge fragments (what a match starts / ends with, up to the
// first boundary) plus the clauses already found, as in trigram-index query
// planning (Russ Cox, "Regular Expression Matching with a Trigram Index").

/** A token boundary in an abstract string. */
const BND = ' ';
/** Arbitrary text (possibly empty) in an abstract string. */
const ANY = '\u0001';
/** Largest string set kept exactly. */
const CAP = 64;
/** Largest set of edge fragments kept (beyond it: "unknown edge"). */
const FRAG_CAP = 256;
/** Clauses kept per entry (the cheapest to satisfy are dropped first). */
const MAX_CLAUSES = 4;

/** Alternatives of which one must occur as a token. */
type Clause = ReadonlySet<string>;

interface Info {
  /** The node's abstract strings, or null when reduced to edges. */
  readonly exact: ReadonlySet<string> | null;
  /** Edge fragments (only when exact is null). */
  readonly lefts: ReadonlySet<string>;
  readonly rights: ReadonlySet<string>;
  /** Clauses found inside the node (besides those derivable from `exact`). */
  readonly clauses: readonly Clause[];
}

const isTok = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
const isSym = (c: string): boolean => c === BND || c === ANY;

/** Words so common that requiring them filters nothing; they rank last. */
const COMMON = new Set([
  'a', 'an', 'the', 'you', 'your', 'are', 'and', 'of', 'to', 'in', 'is', 'it', 'as', 'if', 'i', 'm', 't', 's', 'do', 'not',
  'no', 'be', 'on', 'at', 'for', 'me', 'my', 'will', 'with', 'that', 'this', 'by', 'or', 'we', 'us', 'll', 're', 'd', 've',
  'don', 'what', 'then', 'one', 'each', 'every', 'from', 'have', 'has', 'was', 'were', 'all', 'any', 'can', 'now', 'just',
  'so', 'up', 'out', 'about', 'they', 'he', 'she', 'his', 'her', 'its', 'their', 'them', 'our', 'would', 'should', 'could',
  'there', 'here', 'when', 'how', 'which', 'who', 'more', 'some', 'other', 'only', 'also', 'than', 'but', 'like', 'get',
]);
/**
 * A rough chance that a word occurs in a prompt (common words likely, long
 * words rarely). It only orders and prunes clauses: a wrong guess makes the
 * filter slower, never wrong.
 */
const tokenCost = (t: string): number => (COMMON.has(t) ? 0.9 : t.length <= 4 ? 0.02 : t.length <= 7 ? 0.01 : 0.005);
/** The chance that a clause holds by accident: lower is more selective. */
const clauseCost = (c: Clause): number => {
  let miss = 1;
  for (const t of c) miss *= 1 - tokenCost(t);
  return 1 - miss;
};
/** Clauses likelier than this to hold anyway are not worth checking. */
const USEFUL_CLAUSE = 0.85;

/** Merge runs of boundary / unknown symbols: only their outer ends matter to the tokens around them. */
function canon(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (!isSym(c)) {
      out += c;
      i++;
      continue;
    }
    let j = i;
    let any = false;
    while (j < s.length && isSym(s[j] as string)) {
      if (s[j] === ANY) any = true;
      j++;
    }
    if (!any) out += BND;
    else out += (s[i] === BND ? BND : '') + ANY + (j - i > 1 && s[j - 1] === BND ? BND : '');
    i = j;
  }
  return out;
}

/** canon(a + b) for canonical a and b: only the seam can need merging. */
function join(a: string, b: string): string {
  if (a === '' || b === '') return a + b;
  if (!isSym(a[a.length - 1] as string) || !isSym(b[0] as string)) return a + b;
  let i = a.length;
  while (i > 0 && isSym(a[i - 1] as string)) i--;
  let j = 0;
  while (j < b.length && isSym(b[j] as string)) j++;
  return a.slice(0, i) + canon(a.slice(i) + b.slice(0, j)) + b.slice(j);
}

/** Tokens of an abstract string that have a boundary on both sides. */
function boundedTokens(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (!isTok(s[i] as string)) {
      i++;
      continue;
    }
    let j = i;
    while (j < s.length && isTok(s[j] as string)) j++;
    if (i > 0 && s[i - 1] === BND && s[j] === BND) out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

const leftFrag = (s: string): string => {
  for (let i = 0; i < s.length; i++) if (isSym(s[i] as string)) return s.slice(0, i + 1);
  return s;
};
const rightFrag = (s: string): string => {
  for (let i = s.length - 1; i >= 0; i--) if (isSym(s[i] as string)) return s.slice(i);
  return s;
};
/** A fragment with a symbol in it no longer changes when more is concatenated on its open side. */
const closed = (f: string): boolean => f.includes(BND) || f.includes(ANY);

/**
 * Clauses satisfied by every string of the set (none if some string has no
 * bounded token): up to three disjoint hitting sets, each built greedily
 * (weighted set cover: most strings covered per unit of cost first).
 */
function clausesOf(strings: Iterable<string>): Clause[] {
  const perString: Set<string>[] = [];
  for (const s of strings) {
    const toks = new Set(boundedTokens(s));
    if (toks.size === 0) return [];
    perString.push(toks);
  }
  if (perString.length === 0) return [];
  const out: Clause[] = [];
  const used = new Set<string>();
  for (let round = 0; round < 3; round++) {
    const clause = new Set<string>();
    let open = perString.filter((toks) => [...toks].some((t) => !used.has(t)));
    if (open.length < perString.length) break; // some string has no unused token left
    while (open.length > 0) {
      const count = new Map<string, number>();
      for (const toks of open) for (const t of toks) if (!used.has(t)) count.set(t, (count.get(t) ?? 0) + 1);
      let best = '';
      let bestScore = -1;
      for (const [t, n] of count) {
        const score = n / tokenCost(t);
        if (score > bestScore || (score === bestScore && t < best)) [best, bestScore] = [t, score];
      }
      clause.add(best);
      open = open.filter((toks) => !toks.has(best));
    }
    for (const t of clause) used.add(t);
    out.push(clause);
  }
  return out;
}

const NONE: ReadonlySet<string> = new Set();
const exactInfo = (strings: Iterable<string>, clauses: readonly Clause[] = []): Info => ({ exact: new Set(strings), lefts: NONE, rights: NONE, clauses });
const EPS: Info = exactInfo(['']);
const UNKNOWN: Info = exactInfo([ANY]);
const BOUNDARY: Info = exactInfo([BND]);

// Derived sets, computed once per node (groups are shared between rules, see `groups`).
const leftsMemo = new WeakMap<Info, ReadonlySet<string>>();
const rightsMemo = new WeakMap<Info, ReadonlySet<string>>();
const clausesMemo = new WeakMap<Info, readonly Clause[]>();
function leftsOf(x: Info): ReadonlySet<string> {
  if (!x.exact) return x.lefts;
  let v = leftsMemo.get(x);
  if (!v) leftsMemo.set(x, (v = new Set([...x.exact].map(leftFrag))));
  return v;
}
function rightsOf(x: Info): ReadonlySet<string> {
  if (!x.exact) return x.rights;
  let v = rightsMemo.get(x);
  if (!v) rightsMemo.set(x, (v = new Set([...x.exact].map(rightFrag))));
  return v;
}
function allClauses(x: Info): readonly Clause[] {
  if (!x.exact) return x.clauses;
  let v = clausesMemo.get(x);
  if (!v) clausesMemo.set(x, (v = [...x.clauses, ...clausesOf(x.exact)]));
  return v;
}

/** A fragment set too large to keep becomes "unknown edge" (sound: ANY stands for any text). */
const capped = (s: Set<string>): ReadonlySet<string> => (s.size > FRAG_CAP ? new Set([ANY]) : s);

function concat(a: Info, b: Info): Info {
  if (a.exact && b.exact && a.exact.size * b.exact.size <= CAP) {
    const out = new Set<string>();
    for (const x of a.exact) for (const y of b.exact) out.add(join(x, y));
    return exactInfo(out, [...a.clauses, ...b.clauses]);
  }
  const la = leftsOf(a);
  const lb = leftsOf(b);
  const ra = rightsOf(a);
  const rb = rightsOf(b);
  const lefts = new Set<string>();
  for (const l of la) {
    if (closed(l)) lefts.add(l);
    else for (const m of lb) lefts.add(leftFrag(join(l, m)));
  }
  const rights = new Set<string>();
  for (const r of rb) {
    if (closed(r)) rights.add(r);
    else for (const m of ra) rights.add(rightFrag(join(m, r)));
  }
  const junction = new Set<string>();
  for (const r of ra) for (const l of lb) junction.add(join(r, l));
  return { exact: null, lefts: capped(lefts), rights: capped(rights), clauses: [...allClauses(a), ...allClauses(b), ...clausesOf(junction)] };
}

/** Alternation of any number of branches. */
function alt(...branches: Info[]): Info {
  if (branches.every((b) => b.exact && b.clauses.length === 0)) {
    const all = new Set<string>();
    for (const b of branches) for (const x of b.exact as ReadonlySet<string>) all.add(x);
    if (all.size <= CAP) return exactInfo(all);
  }
  // (A1 ∧ A2 …) ∨ (B1 ∧ B2 …) ∨ … implies (Ai ∨ Bi ∨ …) for each i.
  const sorted = branches.map((b) => [...allClauses(b)].sort((x, y) => clauseCost(x) - clauseCost(y)));
  const depth = Math.min(MAX_CLAUSES, ...sorted.map((c) => c.length));
  const clauses: Clause[] = [];
  for (let i = 0; i < depth; i++) {
    const c = new Set<string>();
    for (const list of sorted) for (const t of list[i] as Clause) c.add(t);
    clauses.push(c);
  }
  const lefts = new Set<string>();
  const rights = new Set<string>();
  for (const b of branches) {
    for (const l of leftsOf(b)) lefts.add(l);
    for (const r of rightsOf(b)) rights.add(r);
  }
  return { exact: null, lefts: capped(lefts), rights: capped(rights), clauses };
}

/** x{min,max}; large or unbounded counts use x+ ⊆ x ∪ x·ANY·x. */
function repeat(x: Info, min: number, max: number): Info {
  if (max <= 6) {
    let power = EPS;
    const powers: Info[] = [];
    for (let k = 0; k <= max; k++) {
      if (k >= min) powers.push(power);
      if (k < max) power = concat(power, x);
    }
    return powers.length === 0 ? EPS : powers.length === 1 ? (powers[0] as Info) : alt(...powers);
  }
  // A run of boundary characters is one boundary ([^\w.!?]+, #{2,}).
  if (x.exact && x.clauses.length === 0 && [...x.exact].every((e) => e === BND)) return min === 0 ? exactInfo(['', BND]) : BOUNDARY;
  const plus = alt(x, concat(concat(x, UNKNOWN), x));
  return min === 0 ? alt(EPS, plus) : plus;
}

/** The token characters a one-character atom (class or escape) can match, tested directly. */
function tokenCharsOf(atom: string): string[] {
  let out = tokenCharsMemo.get(atom);
  if (out) return out;
  const re = new RegExp(`^${atom}$`, 'u');
  out = [];
  for (const c of 'abcdefghijklmnopqrstuvwxyz0123456789') if (re.test(c)) out.push(c);
  tokenCharsMemo.set(atom, out);
  return out;
}
const tokenCharsMemo = new Map<string, string[]>();

/** A one-character atom: a small set of plain token characters stays exact; otherwise boundary or unknown. */
function charAtom(atom: string, plain: string[] | null): Info {
  if (plain) return plain.some((c) => !isTok(c)) ? UNKNOWN : exactInfo(plain);
  return tokenCharsOf(atom).length === 0 ? BOUNDARY : UNKNOWN;
}

const literals = new Map<string, Info>();
function literal(ch: string): Info {
  const c = isTok(ch) ? ch : BND;
  let info = literals.get(c);
  if (!info) literals.set(c, (info = exactInfo([c])));
  return info;
}

/** concat() folded over a sequence without copying what has been gathered so far. */
class Sequence {
  private exact: Set<string> | null = new Set(['']);
  private lefts = new Set<string>();
  private rights = new Set<string>();
  private readonly clauses: Clause[] = [];

  push(x: Info): void {
    if (this.exact && x.exact && this.exact.size * x.exact.size <= CAP) {
      const out = new Set<string>();
      for (const a of this.exact) for (const b of x.exact) out.add(join(a, b));
      this.exact = out;
      this.clauses.push(...x.clauses);
      return;
    }
    if (this.exact) {
      this.lefts = new Set([...this.exact].map(leftFrag));
      this.rights = new Set([...this.exact].map(rightFrag));
      this.clauses.push(...clausesOf(this.exact));
      this.exact = null;
    }
    const lb = leftsOf(x);
    const rb = rightsOf(x);
    const junction = new Set<string>();
    for (const r of this.rights) for (const l of lb) junction.add(join(r, l));
    this.clauses.push(...clausesOf(junction), ...allClauses(x));
    if ([...this.lefts].some((l) => !closed(l))) {
      const lefts = new Set<string>();
      for (const l of this.lefts) {
        if (closed(l)) lefts.add(l);
        else for (const m of lb) lefts.add(leftFrag(join(l, m)));
      }
      this.lefts = new Set(capped(lefts));
    }
    const rights = new Set<string>();
    for (const r of rb) {
      if (closed(r)) rights.add(r);
      else for (const m of this.rights) rights.add(rightFrag(join(m, r)));
    }
    this.rights = new Set(capped(rights));
  }

  info(): Info {
    if (this.exact) return exactInfo(this.exact, this.clauses);
    return { exact: null, lefts: this.lefts, rights: this.rights, clauses: this.clauses };
  }
}

/** Analysed groups by their source (the rule tables are static). */
const groups = new Map<string, Info>();

/** Index just past the ')' closing the group that opens at `open`. */
function groupEnd(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '[') {
      for (i++; i < s.length && s[i] !== ']'; i++) if (s[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  throw new Error(`prefilter: unclosed group at ${open}`);
}

const SPECIAL = new Set(['(', ')', '[', ']', '{', '}', '|', '\\', '.', '^', '$', '*', '+', '?']);
const QUANTIFIER = new Set(['?', '*', '+', '{']);

class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  parse(): Info {
    const info = this.alternation();
    if (this.i !== this.src.length) throw new Error(`prefilter: unexpected ${this.src[this.i]} at ${this.i}`);
    return info;
  }

  private alternation(): Info {
    const branches = [this.sequence()];
    while (this.src[this.i] === '|') {
      this.i++;
      branches.push(this.sequence());
    }
    return branches.length === 1 ? (branches[0] as Info) : alt(...branches);
  }

  private sequence(): Info {
    const acc = new Sequence();
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') {
      acc.push(this.quantified(this.atom()));
    }
    return acc.info();
  }

  private quantified(atom: Info): Info {
    const s = this.src;
    let min: number;
    let max: number;
    const c = s[this.i];
    if (c === '?') [min, max] = [0, 1];
    else if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(this.i));
      if (!m) return atom;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.i += m[0].length - 1;
    } else return atom;
    this.i++;
    if (s[this.i] === '?') this.i++; // lazy: same language
    return this.quantified(repeat(atom, min, max));
  }

  private atom(): Info {
    const s = this.src;
    const c = s[this.i] as string;
    if (c === '(') return this.group();
    if (c === '[') return this.charClass();
    if (c === '\\') return this.escape();
    if (c === '.') {
      this.i++;
      return UNKNOWN;
    }
    if (c === '^' || c === '$') {
      this.i++;
      return BOUNDARY;
    }
    // A run of plain characters is one atom, except its last one when a quantifier follows.
    let j = this.i;
    while (j < s.length && !SPECIAL.has(s[j] as string)) j++;
    if (j > this.i + 1 && QUANTIFIER.has(s[j] as string)) j--;
    if (j > this.i) {
      let out = '';
      for (const ch of s.slice(this.i, j)) out += isTok(ch) ? ch : BND;
      this.i = j;
      return exactInfo([canon(out)]);
    }
    const cp = s.codePointAt(this.i) ?? 0;
    const ch = String.fromCodePoint(cp);
    this.i += ch.length;
    return literal(ch);
  }

  private group(): Info {
    const s = this.src;
    // The rule tables repeat the same groups (word lists, gaps) in many rules: analyse each once.
    const end = groupEnd(s, this.i);
    const whole = s.slice(this.i, end);
    const known = groups.get(whole);
    if (known) {
      this.i = end;
      return known;
    }
    const info = this.groupBody();
    groups.set(whole, info);
    return info;
  }

  private groupBody(): Info {
    const s = this.src;
    this.i++;
    let kind: 'plain' | 'ahead' | 'behind' | 'not-ahead' | 'not-behind' = 'plain';
    if (s.startsWith('?:', this.i)) this.i += 2;
    else if (s.startsWith('?=', this.i)) [kind, this.i] = ['ahead', this.i + 2];
    else if (s.startsWith('?!', this.i)) [kind, this.i] = ['not-ahead', this.i + 2];
    else if (s.startsWith('?<=', this.i)) [kind, this.i] = ['behind', this.i + 3];
    else if (s.startsWith('?<!', this.i)) [kind, this.i] = ['not-behind', this.i + 3];
    else if (s.startsWith('?<', this.i)) this.i = s.indexOf('>', this.i) + 1;
    const start = this.i;
    const inner = this.alternation();
    const body = s.slice(start, this.i);
    if (s[this.i] !== ')') throw new Error(`prefilter: unclosed group at ${start}`);
    this.i++;
    if (kind === 'plain') return inner;
    if (kind === 'ahead' || kind === 'behind') {
      // Zero-width, but its content is text of the subject all the same.
      return exactInfo([''], allClauses(inner));
    }
    // (?![a-z0-9]) / (?<![a-z0-9]) and the like: "no token character there" is a token boundary.
    const oneChar = /^(?:\[(?:\\.|[^\]\\])*\]|\\[wd])$/.test(body);
    return oneChar && tokenCharsOf(body).length === 36 ? BOUNDARY : EPS;
  }

  private charClass(): Info {
    const s = this.src;
    let j = this.i + 1;
    while (j < s.length && s[j] !== ']') j += s[j] === '\\' ? 2 : 1;
    const atom = s.slice(this.i, j + 1);
    this.i = j + 1;
    const plain = /^\[([a-z0-9]+)\]$/.exec(atom);
    return charAtom(atom, plain ? [...(plain[1] as string)] : null);
  }

  private escape(): Info {
    const s = this.src;
    const c = s[this.i + 1] ?? '';
    if (c === 'b') {
      this.i += 2;
      return BOUNDARY;
    }
    if (c === 'B') {
      this.i += 2;
      return EPS;
    }
    if (/[1-9]/.test(c)) {
      this.i += 1 + (/^\d+/.exec(s.slice(this.i + 1))?.[0].length ?? 1);
      return UNKNOWN; // backreference
    }
    if (c === 'k') {
      this.i = s.indexOf('>', this.i) + 1;
      return UNKNOWN;
    }
    if (c === 'u' || c === 'x' || c === 'p' || c === 'P' || c === 'c') {
      const m = /^\\(?:u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[pP]\{[^}]*\}|c[a-zA-Z])/.exec(s.slice(this.i));
      if (!m) throw new Error(`prefilter: bad escape at ${this.i}`);
      this.i += m[0].length;
      const atom = m[0];
      if (c === 'p' || c === 'P') return charAtom(atom, null);
      if (c === 'c') return BOUNDARY; // a control character
      return literal(String.fromCodePoint(parseInt(atom.replace(/^\\[ux]\{?|\}$/g, ''), 16)));
    }
    this.i += 2;
    if ('wWdDsS'.includes(c)) return charAtom(`\\${c}`, null);
    // \. \- \/ \[ … and control escapes (\n \t …): one non-token character.
    return literal(c === '0' || 'ntrfv'.includes(c) ? '\n' : c);
  }
}

/**
 * Clauses of required tokens for one compiled regex source (flags 'uy', no
 * 'i'): every match, including what its look-behinds cover, contains for each
 * clause a whole token from it. Tokens in `known` (the entry's own keys, present
 * wherever it is tried) are left out.
 */
export function requiredTokens(source: string, known: readonly string[], scope: 'text' | 'sentence' = 'text'): string[][] {
  const cacheKey = `${scope}\n${known.join(' ')}\n${source}`;
  const cached = requiredCache.get(cacheKey);
  if (cached) return cached;
  const info = new Parser(source).parse();
  // Checked in one sentence (sentenceBound), even a common word filters: "the" is in nearly
  // every prompt, not in every sentence.
  const useful = scope === 'sentence' ? 1 : USEFUL_CLAUSE;
  const clauses = [...allClauses(info)]
    .filter((c) => c.size > 0 && clauseCost(c) < useful && ![...c].some((t) => known.includes(t)))
    .sort((x, y) => clauseCost(x) - clauseCost(y));
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const c of clauses) {
    const words = [...c].sort();
    const key = words.join(' ');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(words);
    if (out.length === MAX_CLAUSES) break;
  }
  requiredCache.set(cacheKey, out);
  return out;
}
/** The rule tables are static: every detector of the process shares the analysis. */
const requiredCache = new Map<string, string[][]>();

/** The sentence ends of the positional filter: '.', '!' and '?' (code units). */
export const SENTENCE_ENDS: readonly number[] = [0x2e, 0x21, 0x3f];

/**
 * Does a character class (the text between '[' and ']', without a leading '^') name code unit
 * `t` for sure (as a literal, an escape, in a range, or through \W \S \D, which hold every
 * punctuation mark)? `unknown` is set when it holds something this does not model (\p{…}).
 */
function classNames(body: string, t: number): { named: boolean; unknown: boolean } {
  let named = false;
  let unknown = false;
  let prev = -1; // code unit of the previous single character, for ranges
  for (let i = 0; i < body.length; i++) {
    let c = body.charCodeAt(i);
    if (c === 0x5c) { // backslash
      const e = body[i + 1] ?? '';
      i++;
      if ('WSD'.includes(e)) { named = true; prev = -1; continue; }
      if ('wsdbB'.includes(e)) { prev = -1; continue; }
      if (e === 'p' || e === 'P') { unknown = true; i = body.indexOf('}', i); prev = -1; continue; }
      const m = /^(?:u\{([0-9a-fA-F]+)\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2}))/.exec(body.slice(i));
      if (m) {
        c = parseInt((m[1] ?? m[2] ?? m[3]) as string, 16);
        i += m[0].length - 1;
      } else c = 'ntrfv0'.includes(e) ? 0x0a : e.charCodeAt(0);
    } else if (c === 0x2d && prev >= 0 && i + 1 < body.length) { // a range prev-hi
      let hi = body.charCodeAt(i + 1);
      i++;
      if (hi === 0x5c) {
        const m = /^\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|(.))/.exec(body.slice(i));
        if (m === null) { unknown = true; continue; }
        hi = m[3] !== undefined ? m[3].charCodeAt(0) : parseInt((m[1] ?? m[2]) as string, 16);
        i += m[0].length - 1;
      }
      if (prev <= t && t <= hi) named = true;
      prev = -1;
      continue;
    }
    if (c === t) named = true;
    prev = c;
  }
  return { named, unknown };
}

/**
 * Can no match of this regex source contain '.', '!' or '?' — neither the match itself nor what
 * its look-arounds read? Then a match, and every token the prefilter requires of it, lies
 * between two sentence ends, and the detector checks the required words there instead of in the
 * whole text (most rules separate words by [^\w.!?]+ and so stay inside one sentence).
 * Conservative: anything not modelled (\p{…}, '.', a class that does not exclude all three)
 * counts as "can", which only keeps the whole-text check.
 */
export function sentenceBound(source: string): boolean {
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      const e = source[i + 1] ?? '';
      if ('.!?WSDpP'.includes(e)) return false;
      const m = /^\\(?:u\{([0-9a-fA-F]+)\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2}))/.exec(source.slice(i));
      if (m) {
        if (SENTENCE_ENDS.includes(parseInt((m[1] ?? m[2] ?? m[3]) as string, 16))) return false;
        i += m[0].length - 1;
      } else i++;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
      const negated = source[i + 1] === '^';
      const body = source.slice(negated ? i + 2 : i + 1, j);
      for (const t of SENTENCE_ENDS) {
        const { named, unknown } = classNames(body, t);
        if (negated ? !named : named || unknown) return false;
      }
      i = j;
      continue;
    }
    if (c === '.') return false;
    if (c === '(' && source[i + 1] === '?') {
      // Group syntax: (?: (?= (?! (?<= (?<! (?<name>
      i += source[i + 2] === '<' ? (source[i + 3] === '=' || source[i + 3] === '!' ? 3 : source.indexOf('>', i) - i) : 2;
      continue;
    }
    if (c === '!' || c === '?') {
      // '?' after an atom is a quantifier; a literal '?' is always escaped. A bare '!' is literal.
      if (c === '!') return false;
    }
  }
  return true;
}

/**
 * Token → id lookup without slicing the token out of the text: the caller
 * hashes the characters as it reads them (tokenHash), and lookup() probes an
 * open-addressing table and compares characters in place. Hand-written
 * because a Map needs the token as a string, and slicing and hashing every
 * token of a text cost more than the rest of the token pass.
 */
export class TokenTable {
  readonly words: readonly string[];
  private readonly slots: Int32Array;
  private readonly hashes: Int32Array;
  private readonly mask: number;

  constructor(words: readonly string[]) {
    this.words = words;
    let size = 16;
    while (size < words.length * 4) size *= 2;
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    this.hashes = new Int32Array(words.length);
    words.forEach((w, id) => {
      let h = HASH_SEED;
      for (let k = 0; k < w.length; k++) h = tokenHash(h, w.charCodeAt(k));
      this.hashes[id] = h;
      let slot = h & this.mask;
      while ((this.slots[slot] as number) >= 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = id;
    });
  }

  /** Id of the token at code units [start, end) of a text (codeUnits.of), whose tokenHash is h, or -1. */
  lookup(units: Uint16Array, start: number, end: number, h: number): number {
    const len = end - start;
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const id = this.slots[slot] as number;
      if (id < 0) return -1;
      if (this.hashes[id] !== h) continue;
      const w = this.words[id] as string;
      if (w.length !== len) continue;
      let k = 0;
      while (k < len && w.charCodeAt(k) === units[start + k]) k++;
      if (k === len) return id;
    }
  }
}

export const HASH_SEED = 0x811c9dc5 | 0;
/** FNV-1a step over one character code. */
export const tokenHash = (h: number, c: number): number => Math.imul(h ^ c, 0x01000193);

/**
 * Does any of a few [a-z]+ strings occur in the letters-only (compact) view
 * of a text? An Aho–Corasick automaton over the letters, fed one letter at a
 * time by the detector's token pass, answers without building the view
 * (most texts contain none of the compact rules' start strings, and then the
 * view is never built). Hand-written: a dozen lines of table building, fed
 * from inside the detector's own character loop, which no library can join.
 */
export class LetterAutomaton {
  /** next[state * 26 + letter]: the state after reading the letter. */
  readonly next: Int32Array;
  /** accepts[state] === 1: some string ends here. */
  readonly accepts: Uint8Array;
  /** Non-absorbing only: the indexes (into `strings`) of the strings that end at each state. */
  readonly ends: readonly (readonly number[])[];

  /**
   * `absorbing` (the default): once a string has been seen, the automaton stays in an accepting
   * state, and the caller looks at the state once, at the end. Otherwise it is a plain
   * Aho–Corasick automaton: `accepts` marks the states where strings end (`ends` says which),
   * so the caller can note every occurrence.
   */
  constructor(strings: readonly string[], absorbing = true) {
    const children: number[][] = [new Array<number>(26).fill(-1)];
    const acc: number[] = [0];
    const ends: number[][] = [[]];
    for (const [index, s] of strings.entries()) {
      if (!/^[a-z]+$/.test(s)) throw new Error(`letter automaton: ${s} is not [a-z]+`);
      let state = 0;
      for (const ch of s) {
        const k = ch.charCodeAt(0) - 97;
        const row = children[state] as number[];
        if ((row[k] as number) < 0) {
          row[k] = children.length;
          children.push(new Array<number>(26).fill(-1));
          acc.push(0);
          ends.push([]);
        }
        state = row[k] as number;
      }
      acc[state] = 1;
      (ends[state] as number[]).push(index);
    }
    const next = new Int32Array(children.length * 26);
    const fail = new Int32Array(children.length);
    // Breadth-first: complete the transitions along failure links.
    const queue: number[] = [];
    for (let k = 0; k < 26; k++) {
      const child = (children[0] as number[])[k] as number;
      if (child < 0) next[k] = 0;
      else {
        next[k] = child;
        fail[child] = 0;
        queue.push(child);
      }
    }
    for (let q = 0; q < queue.length; q++) {
      const state = queue[q] as number;
      const f = fail[state] as number;
      if (acc[f] === 1) acc[state] = 1;
      // The strings ending at the failure state end here too (a suffix of this state's string).
      (ends[state] as number[]).push(...(ends[f] as number[]));
      for (let k = 0; k < 26; k++) {
        const child = (children[state] as number[])[k] as number;
        if (child < 0) next[state * 26 + k] = next[f * 26 + k] as number;
        else {
          next[state * 26 + k] = child;
          fail[child] = next[f * 26 + k] as number;
          queue.push(child);
        }
      }
    }
    // Once a string has been seen the answer is known: accepting states are absorbing,
    // so the caller looks at the state once, at the end.
    if (absorbing) for (let state = 0; state < acc.length; state++) if (acc[state] === 1) next.fill(state, state * 26, state * 26 + 26);
    this.next = next;
    this.accepts = Uint8Array.from(acc);
    this.ends = absorbing ? [] : ends;
  }
}

/**
 * How many characters a sticky match of `source`, tried at one position, can read from there:
 * what it consumes and what its look-aheads look at. Infinity when that is unbounded (`*`, `+`,
 * `{n,}`) or when the match also depends on what comes before its start or on where the subject
 * ends (look-behind, `^`, `$`, `\b`, `\B`) or on a back-reference. The detector then tries a
 * compact rule on a window of that many letters from each occurrence of its start string instead
 * of building the letters-only view of the whole text: a bound that is too large only costs
 * time, and anything not modelled here gives Infinity (the whole view, as before).
 * Hand-written for the same reason as requiredTokens above.
 */
export function maxReadLength(source: string): number {
  interface Reach { len: number; read: number }
  const unbounded = new Error('unbounded');
  let i = 0;
  const alternation = (): Reach => {
    let best = sequence();
    while (source[i] === '|') {
      i++;
      const s = sequence();
      best = { len: Math.max(best.len, s.len), read: Math.max(best.read, s.read) };
    }
    return best;
  };
  const quantifier = (): number => {
    const c = source[i];
    let hi = 1;
    if (c === '?') { hi = 1; i++; }
    else if (c === '*' || c === '+') throw unbounded;
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
      if (m === null) return 1; // a literal '{' (not in 'u' mode, which the rules use)
      if (m[2] !== undefined && m[3] === '') throw unbounded;
      hi = Number(m[3] ?? m[1]);
      i += m[0].length;
    } else return 1;
    if (source[i] === '?') i++; // lazy
    return hi;
  };
  const atom = (): Reach => {
    const c = source[i] as string;
    if (c === '(') {
      i++;
      let look = false;
      if (source[i] === '?') {
        const k = source[i + 1];
        if (k === ':') i += 2;
        else if (k === '=' || k === '!') { i += 2; look = true; }
        else throw unbounded; // look-behind or a named group
      }
      const inner = alternation();
      if (source[i] !== ')') throw unbounded;
      i++;
      return look ? { len: 0, read: inner.read } : inner;
    }
    if (c === '[') {
      i++;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i++;
      return { len: 1, read: 1 };
    }
    if (c === '\\') {
      const e = source[i + 1] ?? '';
      if (e === 'b' || e === 'B' || /[1-9k]/.test(e)) throw unbounded;
      if ((e === 'p' || e === 'P' || e === 'u') && source[i + 2] === '{') i = source.indexOf('}', i) + 1;
      else if (e === 'u') i += 6;
      else if (e === 'x') i += 4;
      else i += 2;
      return { len: 1, read: 1 };
    }
    if (c === '^' || c === '$') throw unbounded;
    i += (c.codePointAt(0) ?? 0) > 0xffff ? 2 : 1;
    return { len: 1, read: 1 };
  };
  const sequence = (): Reach => {
    let len = 0;
    let read = 0;
    while (i < source.length && source[i] !== '|' && source[i] !== ')') {
      const a = atom();
      const hi = quantifier();
      if (hi > 0) read = Math.max(read, len + (hi - 1) * a.len + a.read);
      len += hi * a.len;
    }
    return { len, read };
  };
  try {
    const r = alternation();
    return i === source.length ? r.read : Infinity;
  } catch (err) {
    if (err === unbounded) return Infinity;
    throw err;
  }
}
