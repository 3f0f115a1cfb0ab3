/**
 * openai-completions validation (inspect phase): prompt count and size (strings, or token-id
 * arrays counted at 4 characters a token), the suffix, max_tokens, n, best_of and logprobs.
 */
import { deny } from '../../errors.js';
import type { Limits } from '../../config/defaults.js';
import type { Policy } from '../../pipeline/policy.js';
import { ajv, CompletionRequest } from './schemas.js';
import { promptItems } from './text.js';
import { checkCommon, type CommonParams } from './common.js';

interface CompletionBody extends CommonParams {
  prompt: unknown;
  suffix?: string | null;
  best_of?: number | null;
  logprobs?: number | null;
}

const validate = ajv.compile(CompletionRequest);

export function openaiCompletions(limits: Limits): Policy {
  return {
    name: 'openai-completions',
    phase: 'inspect',
    onError: 'fail-closed',
    run: function openaiCompletionsPolicy(ctx) {
      if (!validate(ctx.body)) return deny('MG_REQUEST_INVALID', ajv.errorsText(validate.errors));
      const req = ctx.body as CompletionBody;
      const { texts, sizes, tokenIds } = promptItems(req.prompt);
      if (sizes.length > limits.maxInputs) return deny('MG_TOO_MANY_INPUTS');
      let total = 0;
      for (const s of sizes) {
        if (s > limits.maxInputChars) return deny('MG_MESSAGE_TOO_LONG');
        total += s;
      }
      if (typeof req.suffix === 'string') {
        texts.push(req.suffix);
        total += req.suffix.length;
      }
      if (total > limits.maxTotalChars) return deny('MG_PROMPT_TOO_LONG');
      const maxTokens = req.max_tokens ?? null;
      const common = checkCommon(req, maxTokens, limits);
      if (common !== undefined) return common;
      if (req.best_of != null && req.best_of > limits.maxBestOf) return deny('MG_PARAM_OUT_OF_RANGE', 'best_of');
      if (req.logprobs != null && req.logprobs > limits.maxLogprobs) return deny('MG_PARAM_OUT_OF_RANGE', 'logprobs');
      ctx.inspection = { texts, totalChars: total, stream: req.stream === true, maxTokens, items: sizes.length, tokenIds, choices: Math.max(req.n ?? 1, req.best_of ?? 1) * sizes.length, extraUnits: 0 };
      return undefined;
    },
  };
}
