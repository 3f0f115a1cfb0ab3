/** Checks shared by chat and completions: max_tokens against the cap, and n. */
import { deny, type Denial } from '../../errors.js';
import type { Limits } from '../../config/defaults.js';

export interface CommonParams {
  max_tokens?: number | null;
  n?: number | null;
  stream?: boolean | null;
}

export function checkCommon(req: CommonParams, maxTokens: number | null, limits: Limits): Denial | undefined {
  if (maxTokens !== null && maxTokens > limits.maxTokens) return deny('MG_MAX_TOKENS_TOO_LARGE');
  if (req.n != null && req.n > limits.maxN) return deny('MG_PARAM_OUT_OF_RANGE', 'n');
  return undefined;
}
