/**
 * The behaviour rules that live in one replica's memory (pure logic, time passed in): errorRate,
 * payloadEscalation, regularIntervals, keySpread. authFailures is counted in the store instead
 * (shared by every replica: src/abuse/abuse.ts). Each rule remembers at most `maxTracked` callers
 * (an LRU: the least recently seen is forgotten first), so memory is bounded however many
 * addresses and keys an attacker cycles through.
 */
import { LRUCache } from 'lru-cache';
import type { AbuseConfig, ErrorRateRule, KeySpreadRule, PayloadEscalationRule, RegularIntervalsRule } from '../config/abuse.js';
import { networkOf } from './address.js';
import { slidingCount, windowIndex } from './ban-store.js';

/** One settled request, as the rules see it. */
export interface Observation {
  /** Arrival, epoch ms. */
  at: number;
  /** Canonical client address. */
  ip: string;
  /** The authenticated key's id; null when authentication failed or did not run. */
  keyId: string | null;
  /** Refused by validation or injection detection (or flagged by injection detection). */
  refused: boolean;
  /** Request size the payload rule follows (prompt characters, else body bytes); null: unknown. */
  size: number | null;
}

export type RuleName = 'authFailures' | 'errorRate' | 'payloadEscalation' | 'regularIntervals' | 'keySpread';

export interface Detection {
  rule: RuleName;
  /** What the rule's action does: ban (or suspend) the subject, or flag it. */
  action: 'ban' | 'flag' | 'suspend';
  subject: { kind: 'ip' | 'key'; value: string };
  banForMs: number;
  /** Numbers that explain the verdict (logged). */
  detail: Record<string, number>;
}

interface Rate { win: number; total: number; refused: number; prevTotal: number; prevRefused: number }
interface Escalation { last: number; run: number }
interface Arrivals { times: number[] }

function rateOf(s: Rate, windowMs: number, at: number): { total: number; refused: number } {
  const win = windowIndex(windowMs, at);
  if (s.win !== win) {
    const adjacent = s.win === win - 1;
    s.prevTotal = adjacent ? s.total : 0;
    s.prevRefused = adjacent ? s.refused : 0;
    s.total = 0;
    s.refused = 0;
    s.win = win;
  }
  return { total: slidingCount(s.total, s.prevTotal, windowMs, at), refused: slidingCount(s.refused, s.prevRefused, windowMs, at) };
}

export class Rules {
  private readonly rates: LRUCache<string, Rate>;
  private readonly escalations: LRUCache<string, Escalation>;
  private readonly arrivals: LRUCache<string, Arrivals>;
  private readonly spreads: LRUCache<string, Map<string, number>>;

  constructor(private readonly config: AbuseConfig) {
    const max = config.maxTracked;
    this.rates = new LRUCache({ max });
    this.escalations = new LRUCache({ max });
    this.arrivals = new LRUCache({ max });
    this.spreads = new LRUCache({ max });
  }

  /** Callers remembered, per rule (tests and the memory benchmark). */
  get tracked(): Record<string, number> {
    return { errorRate: this.rates.size, payloadEscalation: this.escalations.size, regularIntervals: this.arrivals.size, keySpread: this.spreads.size };
  }

  /**
   * Feeds one request to every rule; returns what it triggered. A subject's state for a rule is
   * forgotten when the rule triggers, so the next verdict needs a fresh run of evidence.
   */
  observe(o: Observation): Detection[] {
    const out: Detection[] = [];
    const c = this.config;
    if (c.errorRate !== null) {
      if (o.keyId !== null) this.errorRate(c.errorRate, `key:${o.keyId}`, { kind: 'key', value: o.keyId }, o, out);
      this.errorRate(c.errorRate, `ip:${o.ip}`, { kind: 'ip', value: o.ip }, o, out);
    }
    if (o.keyId === null) return out;
    if (c.payloadEscalation !== null && o.size !== null) this.payload(c.payloadEscalation, o.keyId, o.size, out);
    if (c.regularIntervals !== null) this.intervals(c.regularIntervals, o.keyId, o.at, out);
    if (c.keySpread !== null) this.spread(c.keySpread, o.keyId, o.ip, o.at, out);
    return out;
  }

  private errorRate(rule: ErrorRateRule, id: string, subject: Detection['subject'], o: Observation, out: Detection[]): void {
    let s = this.rates.get(id);
    if (s === undefined) {
      s = { win: windowIndex(rule.windowMs, o.at), total: 0, refused: 0, prevTotal: 0, prevRefused: 0 };
      this.rates.set(id, s);
    }
    rateOf(s, rule.windowMs, o.at);
    s.total++;
    if (o.refused) s.refused++;
    if (!o.refused) return; // a request that went through never tips the balance
    const r = rateOf(s, rule.windowMs, o.at);
    if (r.total >= rule.minRequests && r.refused / r.total >= rule.threshold) {
      this.rates.delete(id);
      out.push({ rule: 'errorRate', action: rule.action, subject, banForMs: rule.banForMs, detail: { requests: Math.round(r.total), refused: Math.round(r.refused) } });
    }
  }

  private payload(rule: PayloadEscalationRule, keyId: string, size: number, out: Detection[]): void {
    const s = this.escalations.get(keyId);
    if (s === undefined) { this.escalations.set(keyId, { last: size, run: 0 }); return; }
    s.run = size > s.last && size >= s.last * rule.minGrowth ? s.run + 1 : 0;
    s.last = size;
    if (s.run >= rule.steps) {
      this.escalations.delete(keyId);
      out.push({ rule: 'payloadEscalation', action: rule.action, subject: { kind: 'key', value: keyId }, banForMs: rule.banForMs, detail: { steps: rule.steps, size } });
    }
  }

  private intervals(rule: RegularIntervalsRule, keyId: string, at: number, out: Detection[]): void {
    let s = this.arrivals.get(keyId);
    if (s === undefined) { s = { times: [] }; this.arrivals.set(keyId, s); }
    s.times.push(at);
    if (s.times.length > rule.requests) s.times.shift();
    if (s.times.length < rule.requests) return;
    // Requests settle out of order under concurrency: judge the arrivals in time order.
    const t = [...s.times].sort((a, b) => a - b);
    let sum = 0;
    for (let i = 1; i < t.length; i++) sum += (t[i] as number) - (t[i - 1] as number);
    const n = t.length - 1;
    const mean = sum / n;
    if (mean <= 0 || mean < rule.minIntervalMs) return;
    let sq = 0;
    for (let i = 1; i < t.length; i++) sq += ((t[i] as number) - (t[i - 1] as number) - mean) ** 2;
    const cv = Math.sqrt(sq / n) / mean;
    if (cv <= rule.maxJitter) {
      this.arrivals.delete(keyId);
      out.push({ rule: 'regularIntervals', action: rule.action, subject: { kind: 'key', value: keyId }, banForMs: rule.banForMs, detail: { requests: t.length, meanMs: Math.round(mean), jitter: Math.round(cv * 1000) / 1000 } });
    }
  }

  private spread(rule: KeySpreadRule, keyId: string, ip: string, at: number, out: Detection[]): void {
    const addr = rule.by === 'prefix' ? networkOf(ip) : ip;
    let seen = this.spreads.get(keyId);
    if (seen === undefined) { seen = new Map(); this.spreads.set(keyId, seen); }
    const known = seen.has(addr);
    seen.delete(addr); // re-insert: the map stays in order of last sight, oldest first
    seen.set(addr, at);
    if (known) return;
    for (const [a, last] of seen) { // forget what left the window (oldest first)
      if (last > at - rule.windowMs) break;
      seen.delete(a);
    }
    if (seen.size >= rule.ips) {
      this.spreads.delete(keyId);
      out.push({ rule: 'keySpread', action: rule.action, subject: { kind: 'key', value: keyId }, banForMs: rule.banForMs, detail: { addresses: seen.size, windowMs: rule.windowMs } });
    }
  }
}
