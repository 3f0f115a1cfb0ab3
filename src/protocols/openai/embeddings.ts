/** openai-embeddings validation (inspect phase): number of inputs and their size. */
import { deny } from '../../errors.js';
import type { Limits } from '../../config/defaults.js';
import type { Policy } from '../../pipeline/policy.js';
import { ajv, EmbeddingRequest } from './schemas.js';
import { promptItems } from './text.js';

const validate = ajv.compile(EmbeddingRequest);

export function openaiEmbeddings(limits: Limits): Policy {
  return {
    name: 'openai-embeddings',
    phase: 'inspect',
    onError: 'fail-closed',
    run: function openaiEmbeddingsPolicy(ctx) {
      if (!validate(ctx.body)) return deny('MG_REQUEST_INVALID', ajv.errorsText(validate.errors));
      const { texts, sizes, tokenIds } = promptItems((ctx.body as { input: unknown }).input);
      if (sizes.length > limits.maxInputs) return deny('MG_TOO_MANY_INPUTS');
      let total = 0;
      for (const s of sizes) {
        if (s > limits.maxInputChars) return deny('MG_MESSAGE_TOO_LONG');
        total += s;
      }
      if (total > limits.maxTotalChars) return deny('MG_PROMPT_TOO_LONG');
      ctx.inspection = { texts, totalChars: total, stream: false, maxTokens: 0, items: sizes.length, tokenIds, choices: 1, extraUnits: 0 };
      return undefined;
    },
  };
}
