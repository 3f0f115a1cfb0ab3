/**
 * Prompt-injection detection (inspect phase), over every text a model will read: every message
 * of every role, tool results and tool-call arguments, completion prompts. `block` refuses with
 * the same body as any other invalid input (MG_INPUT_REJECTED, "Invalid input"), so a client
 * learns nothing about what was detected; `flag` lets the request through, counted and logged.
 */
import { deny } from '../errors.js';
import type { InjectionAction } from '../config/types.js';
import type { Policy } from '../pipeline/policy.js';
import type { RequestContext } from '../pipeline/context.js';
import { createInjectionDetector } from '../detectors/injection/index.js';

export type InjectionSink = (ctx: RequestContext, families: string[], action: InjectionAction) => void;

export function injectionPolicy(action: InjectionAction, threshold: number | null, onDetect: InjectionSink, onError: 'fail-closed' | 'fail-open' = 'fail-closed'): Policy {
  const detector = createInjectionDetector(threshold === null ? {} : { threshold });
  return {
    name: 'injection',
    phase: 'inspect',
    onError,
    run: function injection(ctx) {
      const texts = ctx.inspection?.texts ?? [];
      for (const text of texts) {
        const r = detector.scan(text);
        if (!r.detected) continue;
        const families = [...new Set(r.findings.map((f) => f.family))];
        onDetect(ctx, families, action);
        if (action === 'block') return deny('MG_INPUT_REJECTED', `injection: ${families.join(',')}`);
        ctx.flags.push('injection');
        return undefined;
      }
      return undefined;
    },
  };
}
