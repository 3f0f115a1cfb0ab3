/**
 * `abuse`: behaviour over many requests (src/abuse/). Schema, defaults, resolution and the checks
 * the schema cannot express, each problem with its YAML path.
 *
 * Absent section: abuse detection is off (no ban check, no observation). Present (even `abuse: {}`):
 * every rule runs with the defaults below (those of the design's example configuration) unless it
 * is set to `false`; a rule given as a mapping overrides only the keys it names.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Duration as DurationSchema } from './schema.js';
import { durationMs } from './units.js';

const strict = { additionalProperties: false } as const;

/** Built by schema.ts with its Duration type (passed in, so this file does not import a cycle). */
export function abuseSchema(Duration: typeof DurationSchema) {
  const banOrFlag = Type.Union([Type.Literal('ban'), Type.Literal('flag')], { description: 'ban: refuse the caller for banFor (403 MG_TEMPORARILY_BLOCKED); flag: metric and log only' });
  const banFor = Type.Optional(Duration);
  const rule = <T extends Record<string, ReturnType<typeof Type.Optional>>>(props: T, description: string) =>
    Type.Optional(Type.Union([Type.Literal(false), Type.Object(props, strict)], { description }));
  return Type.Object({
    authFailures: rule({
      threshold: Type.Optional(Type.Integer({ minimum: 1, description: 'Wrong or missing keys from one IP in the window that trigger the rule (default 20)' })),
      window: Type.Optional(Duration),
      action: Type.Optional(banOrFlag),
      banFor,
    }, 'Wrong or missing API keys per client IP, counted across replicas through the store'),
    errorRate: rule({
      threshold: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Share of requests refused by validation or injection detection (default 0.8)' })),
      minRequests: Type.Optional(Type.Integer({ minimum: 1, description: 'Requests in the window before the share is judged (default 20)' })),
      window: Type.Optional(Duration),
      action: Type.Optional(banOrFlag),
      banFor,
    }, 'Probing: most requests of a key, or of an IP, refused by validation or injection detection'),
    payloadEscalation: rule({
      steps: Type.Optional(Type.Integer({ minimum: 2, description: 'Consecutive growing requests of one key (default 8)' })),
      minGrowth: Type.Optional(Type.Number({ minimum: 1, description: 'Each request at least this many times the size of the one before (default 1.1)' })),
      action: Type.Optional(banOrFlag),
      banFor,
    }, 'Request sizes of one key growing request after request (probing for a limit)'),
    regularIntervals: rule({
      requests: Type.Optional(Type.Integer({ minimum: 3, description: 'Requests whose inter-arrival times are judged (default 20)' })),
      maxJitter: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Largest coefficient of variation (stddev / mean) of the intervals that counts as scripted (default 0.05)' })),
      minInterval: Type.Optional(Duration),
      action: Type.Optional(banOrFlag),
      banFor,
    }, 'Near-constant inter-arrival times of one key (scripted clients; batch jobs too)'),
    keySpread: rule({
      ips: Type.Optional(Type.Integer({ minimum: 2, description: 'Distinct client addresses of one key in the window (default 50)' })),
      window: Type.Optional(Duration),
      by: Type.Optional(Type.Union([Type.Literal('ip'), Type.Literal('prefix')], { description: 'ip (default): distinct addresses; prefix: distinct /24 (IPv4) and /64 (IPv6) networks' })),
      action: Type.Optional(Type.Union([Type.Literal('flag'), Type.Literal('suspend')], { description: 'flag (default) or suspend the key for banFor' })),
      banFor,
    }, 'One key used from many addresses (a leaked key)'),
    maxTracked: Type.Optional(Type.Integer({ minimum: 100, maximum: 10_000_000, description: 'Callers (IPs, keys) whose recent behaviour each rule remembers; least recently seen forgotten first (default 100000)' })),
    pollInterval: Type.Optional(Duration),
  }, { ...strict, description: 'Abuse detection: rules over many requests; bans are shared through the store' });
}

export type RawAbuse = Static<ReturnType<typeof abuseSchema>>;

export type AbuseAction = 'ban' | 'flag';

export interface AuthFailuresRule { threshold: number; windowMs: number; action: AbuseAction; banForMs: number }
export interface ErrorRateRule { threshold: number; minRequests: number; windowMs: number; action: AbuseAction; banForMs: number }
export interface PayloadEscalationRule { steps: number; minGrowth: number; action: AbuseAction; banForMs: number }
export interface RegularIntervalsRule { requests: number; maxJitter: number; minIntervalMs: number; action: AbuseAction; banForMs: number }
export interface KeySpreadRule { ips: number; windowMs: number; by: 'ip' | 'prefix'; action: 'flag' | 'suspend'; banForMs: number }

export interface AbuseConfig {
  authFailures: AuthFailuresRule | null;
  errorRate: ErrorRateRule | null;
  payloadEscalation: PayloadEscalationRule | null;
  regularIntervals: RegularIntervalsRule | null;
  keySpread: KeySpreadRule | null;
  maxTracked: number;
  /** How often each replica reads the bans' version key (the fallback when pub/sub is down). */
  pollIntervalMs: number;
}

const BAN_FOR_MS = 15 * 60_000;

export const ABUSE_DEFAULTS = Object.freeze({
  authFailures: { threshold: 20, windowMs: 60_000, action: 'ban', banForMs: BAN_FOR_MS } satisfies AuthFailuresRule,
  errorRate: { threshold: 0.8, minRequests: 20, windowMs: 5 * 60_000, action: 'ban', banForMs: BAN_FOR_MS } satisfies ErrorRateRule,
  payloadEscalation: { steps: 8, minGrowth: 1.1, action: 'flag', banForMs: BAN_FOR_MS } satisfies PayloadEscalationRule,
  regularIntervals: { requests: 20, maxJitter: 0.05, minIntervalMs: 0, action: 'flag', banForMs: BAN_FOR_MS } satisfies RegularIntervalsRule,
  keySpread: { ips: 50, windowMs: 60_000, by: 'ip', action: 'flag', banForMs: BAN_FOR_MS } satisfies KeySpreadRule,
  maxTracked: 100_000,
  pollIntervalMs: 500,
});

interface Problem { path: string; message: string }
type Dur = Parameters<typeof durationMs>[0];
const ms = (d: Dur | undefined, dflt: number): number => (d === undefined ? dflt : durationMs(d));

function positive(value: number, path: string, problems: Problem[]): void {
  if (value <= 0) problems.push({ path, message: 'must be longer than 0' });
}

export function resolveAbuse(raw: RawAbuse | undefined, problems: Problem[]): AbuseConfig | null {
  if (raw === undefined) return null;
  const d = ABUSE_DEFAULTS;
  const a = raw.authFailures === false ? null : {
    threshold: raw.authFailures?.threshold ?? d.authFailures.threshold,
    windowMs: ms(raw.authFailures?.window, d.authFailures.windowMs),
    action: raw.authFailures?.action ?? d.authFailures.action,
    banForMs: ms(raw.authFailures?.banFor, d.authFailures.banForMs),
  };
  const e = raw.errorRate === false ? null : {
    threshold: raw.errorRate?.threshold ?? d.errorRate.threshold,
    minRequests: raw.errorRate?.minRequests ?? d.errorRate.minRequests,
    windowMs: ms(raw.errorRate?.window, d.errorRate.windowMs),
    action: raw.errorRate?.action ?? d.errorRate.action,
    banForMs: ms(raw.errorRate?.banFor, d.errorRate.banForMs),
  };
  const p = raw.payloadEscalation === false ? null : {
    steps: raw.payloadEscalation?.steps ?? d.payloadEscalation.steps,
    minGrowth: raw.payloadEscalation?.minGrowth ?? d.payloadEscalation.minGrowth,
    action: raw.payloadEscalation?.action ?? d.payloadEscalation.action,
    banForMs: ms(raw.payloadEscalation?.banFor, d.payloadEscalation.banForMs),
  };
  const r = raw.regularIntervals === false ? null : {
    requests: raw.regularIntervals?.requests ?? d.regularIntervals.requests,
    maxJitter: raw.regularIntervals?.maxJitter ?? d.regularIntervals.maxJitter,
    minIntervalMs: ms(raw.regularIntervals?.minInterval, d.regularIntervals.minIntervalMs),
    action: raw.regularIntervals?.action ?? d.regularIntervals.action,
    banForMs: ms(raw.regularIntervals?.banFor, d.regularIntervals.banForMs),
  };
  const k = raw.keySpread === false ? null : {
    ips: raw.keySpread?.ips ?? d.keySpread.ips,
    windowMs: ms(raw.keySpread?.window, d.keySpread.windowMs),
    by: raw.keySpread?.by ?? d.keySpread.by,
    action: raw.keySpread?.action ?? d.keySpread.action,
    banForMs: ms(raw.keySpread?.banFor, d.keySpread.banForMs),
  };
  const out: AbuseConfig = {
    authFailures: a, errorRate: e, payloadEscalation: p, regularIntervals: r, keySpread: k,
    maxTracked: raw.maxTracked ?? d.maxTracked,
    pollIntervalMs: ms(raw.pollInterval, d.pollIntervalMs),
  };
  for (const [name, rule] of [['authFailures', a], ['errorRate', e], ['keySpread', k]] as const) {
    if (rule !== null) positive(rule.windowMs, `abuse.${name}.window`, problems);
  }
  for (const [name, rule] of [['authFailures', a], ['errorRate', e], ['payloadEscalation', p], ['regularIntervals', r], ['keySpread', k]] as const) {
    if (rule !== null) positive(rule.banForMs, `abuse.${name}.banFor`, problems);
  }
  positive(out.pollIntervalMs, 'abuse.pollInterval', problems);
  return out;
}
