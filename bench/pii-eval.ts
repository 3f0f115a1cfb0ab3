// Precision and recall of the output-protection recognizers on the presidio
// synthetic PII corpus (microsoft/presidio-research data/synth_dataset_v2.json).
//
//   npm run build && node dist/bench/pii-eval.js [corpus.json] [--misses]
//   npm run build && node dist/bench/pii-eval.js --lookalikes [--seed N] [--n 300] [--misses]
//
// --lookalikes: generated true positives and near-miss look-alikes for every family the scanner
// handles, secrets included (bench/pii-lookalikes.ts); recall per family and share of
// look-alikes touched.
//
// The corpus defaults to test/fixtures/corpora/pii/presidio-synth-v2.json.
// Entity types are mapped EMAIL_ADDRESS→email, US_SSN→ssn,
// CREDIT_CARD→credit_card, PHONE_NUMBER→phone, IBAN_CODE→iban,
// IP_ADDRESS→ip_address; every other entity type is out of scope and only
// counted ("not our type"). A prediction is a true positive when it overlaps
// a gold span of its type; a gold span is found when a prediction of its type
// overlaps it. Predictions of types without gold spans (api_key) and
// predictions overlapping only out-of-scope spans are false positives.
//
// "Valid" gold spans are those that pass the check a real value passes: Luhn
// plus a known issuer prefix and length (cards), the SSA area/group/serial
// rules (SSN), registry length plus mod-97 (IBAN), node:net isIP (IP), a
// local@domain.tld shape (e-mail). Phone numbers have no validity check, so
// all of them count as valid. Precision on valid spans ignores predictions
// whose only overlap is an invalid gold span.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createPiiScanner, PII_TYPES, type PiiMatch, type PiiScanner, type PiiType } from '../src/detectors/pii/index.js';
import { cardBrand, ibanValid, ssnValid } from '../src/detectors/pii/financial.js';
import { luhnValid } from '../src/detectors/pii/text.js';
import { evaluateLookalikes, formatLookalikes } from './pii-lookalikes.js';

export interface PresidioSpan {
  entity_type: string;
  entity_value: string;
  start_position: number;
  end_position: number;
}

export interface PresidioRecord {
  full_text: string;
  spans: PresidioSpan[];
}

export const ENTITY_MAP: Readonly<Record<string, PiiType>> = {
  EMAIL_ADDRESS: 'email',
  US_SSN: 'ssn',
  CREDIT_CARD: 'credit_card',
  PHONE_NUMBER: 'phone',
  IBAN_CODE: 'iban',
  IP_ADDRESS: 'ip_address',
};

/** Why a gold value fails its type's validity check, or null when valid. */
export function invalidReason(type: PiiType, value: string): string | null {
  switch (type) {
    case 'credit_card': {
      const digits = value.replace(/[ -]/g, '');
      if (!/^\d{12,19}$/.test(digits)) return 'not 12-19 digits';
      if (!luhnValid(digits)) return 'fails Luhn';
      return cardBrand(digits) ? null : `no issuer uses prefix ${digits.slice(0, 4)} with ${digits.length} digits`;
    }
    case 'ssn': {
      const m = /^(\d{3})[- ]?(\d{2})[- ]?(\d{4})$/.exec(value);
      return m && ssnValid(m[1] ?? '', m[2] ?? '', m[3] ?? '') ? null : 'SSA rules (000/666/9xx area, 00 group, 0000 serial)';
    }
    case 'iban':
      return ibanValid(value.replace(/ /g, '')) ? null : 'registry length or mod-97';
    case 'ip_address':
      return isIP(value) ? null : 'not an IP address';
    case 'email':
      return /^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$/.test(value) ? null : 'not local@domain.tld';
    default:
      return null;
  }
}

export interface TypeStats {
  gold: number;
  invalid: number;
  found: number;
  foundValid: number;
  tp: number;
  tpValid: number;
  fp: number;
}

export interface EvalResult {
  stats: Record<PiiType, TypeStats>;
  invalidReasons: Record<string, number>;
  misses: { type: PiiType; value: string; context: string; valid: boolean }[];
  falsePositives: { type: PiiType; text: string; overlaps: string }[];
  outOfScope: Record<string, number>;
}

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }): boolean => a.start < b.end && b.start < a.end;

export function evaluatePii(records: readonly PresidioRecord[], scanner: PiiScanner, filter: (index: number) => boolean = () => true): EvalResult {
  const stats = Object.fromEntries(PII_TYPES.map((t) => [t, { gold: 0, invalid: 0, found: 0, foundValid: 0, tp: 0, tpValid: 0, fp: 0 }])) as Record<PiiType, TypeStats>;
  const result: EvalResult = { stats, invalidReasons: {}, misses: [], falsePositives: [], outOfScope: {} };
  records.forEach((rec, index) => {
    if (!filter(index)) return;
    const preds: PiiMatch[] = scanner.scan(rec.full_text);
    const gold = rec.spans.map((s) => {
      const type = ENTITY_MAP[s.entity_type];
      const reason = type ? invalidReason(type, s.entity_value) : null;
      return { type, entity: s.entity_type, start: s.start_position, end: s.end_position, value: s.entity_value, valid: reason === null, reason };
    });
    for (const g of gold) {
      if (!g.type) {
        result.outOfScope[g.entity] = (result.outOfScope[g.entity] ?? 0) + 1;
        continue;
      }
      const st = stats[g.type];
      st.gold++;
      if (!g.valid) {
        st.invalid++;
        const key = `${g.type}: ${g.reason ?? ''}`;
        result.invalidReasons[key] = (result.invalidReasons[key] ?? 0) + 1;
      }
      if (preds.some((p) => p.type === g.type && overlaps(p, g))) {
        st.found++;
        if (g.valid) st.foundValid++;
      } else {
        const context = rec.full_text.slice(Math.max(0, g.start - 32), g.start);
        result.misses.push({ type: g.type, value: g.value, context, valid: g.valid });
      }
    }
    for (const p of preds) {
      const st = stats[p.type];
      const same = gold.filter((g) => g.type === p.type && overlaps(p, g));
      if (same.length > 0) {
        st.tp++;
        if (same.some((g) => g.valid)) st.tpValid++;
      } else {
        st.fp++;
        const other = gold.filter((g) => overlaps(p, g)).map((g) => g.entity);
        result.falsePositives.push({ type: p.type, text: rec.full_text.slice(p.start, p.end), overlaps: other.join(',') || '(no gold span)' });
      }
    }
  });
  return result;
}

const ratio = (n: number, d: number): string => (d === 0 ? '  n/a' : (n / d).toFixed(3));

export function formatTable(r: EvalResult): string {
  const rows = ['| type | gold | invalid | recall (all) | recall (valid) | precision (all) | precision (valid) | TP | FP |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const t of PII_TYPES) {
    const s = r.stats[t];
    if (s.gold === 0 && s.tp + s.fp === 0) continue;
    const validGold = s.gold - s.invalid;
    rows.push(
      `| ${t} | ${s.gold} | ${s.invalid} | ${ratio(s.found, s.gold)} | ${ratio(s.foundValid, validGold)} | ${ratio(s.tp, s.tp + s.fp)} | ${ratio(s.tpValid, s.tpValid + s.fp)} | ${s.tp} | ${s.fp} |`,
    );
  }
  return rows.join('\n');
}

function lookalikes(argv: string[]): void {
  const arg = (name: string, dflt: number): number => {
    const i = argv.indexOf(name);
    const v = i === -1 ? dflt : Number(argv[i + 1]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`${name} takes a whole number`);
    return v;
  };
  const seed = arg('--seed', 1);
  const n = arg('--n', 300);
  const rs = evaluateLookalikes(createPiiScanner({ types: PII_TYPES }), seed, n);
  console.log(`Generated look-alikes, seed ${seed}, ${n} true positives and ${n} look-alikes per family\n`);
  console.log(formatLookalikes(rs));
  if (!argv.includes('--misses')) return;
  for (const r of rs) {
    for (const m of r.misses) console.log(`  miss ${r.name}: ${JSON.stringify(m)}`);
    for (const t of r.touches) console.log(`  touched ${r.name}: ${JSON.stringify(t)}`);
  }
}

function main(argv: string[]): void {
  if (argv.includes('--lookalikes')) return lookalikes(argv);
  const path = argv.find((a) => !a.startsWith('--')) ?? 'test/fixtures/corpora/pii/presidio-synth-v2.json';
  const records = JSON.parse(readFileSync(path, 'utf8')) as PresidioRecord[];
  const scanner = createPiiScanner({ types: PII_TYPES });
  const t0 = performance.now();
  const all = evaluatePii(records, scanner);
  const ms = performance.now() - t0;
  console.log(`${records.length} records from ${path}; scan of all records ${ms.toFixed(0)} ms\n`);
  console.log(formatTable(all));
  console.log('\nGold spans failing the validity check:', JSON.stringify(all.invalidReasons, null, 1));
  console.log('Out-of-scope gold spans (not our type):', JSON.stringify(all.outOfScope));
  console.log('False positives:', all.falsePositives.length === 0 ? 'none' : JSON.stringify(all.falsePositives, null, 1));
  for (const [name, parity] of [['even records', 0], ['odd records', 1]] as const) {
    console.log(`\n${name}:\n${formatTable(evaluatePii(records, scanner, (i) => i % 2 === parity))}`);
  }
  const misses = all.misses;
  const byType: Record<string, number> = {};
  for (const m of misses) byType[m.type] = (byType[m.type] ?? 0) + 1;
  console.log('\nMisses by type:', JSON.stringify(byType));
  if (argv.includes('--misses')) for (const m of misses) console.log(`  ${m.type}${m.valid ? '' : ' (invalid)'}: ${JSON.stringify(m.value)} after ${JSON.stringify(m.context)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
