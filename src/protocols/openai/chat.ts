/**
 * openai-chat validation (inspect phase). Order: message count, then the schema (roles, content
 * shapes, parameter types), then characters per message and in total over ALL messages of every
 * role (looking only at the last user message is the classic way round a validator), then
 * max_tokens / max_completion_tokens (refused above the cap, never clamped), n and top_logprobs.
 */
import { deny } from '../../errors.js';
import type { Limits } from '../../config/defaults.js';
import type { Policy } from '../../pipeline/policy.js';
import { ajv, ChatRequest } from './schemas.js';
import { contentTexts } from './text.js';
import { checkCommon, type CommonParams } from './common.js';

interface ChatBody extends CommonParams {
  messages: { role: string; content?: unknown; tool_calls?: { function: { arguments: string } }[] }[];
  max_completion_tokens?: number | null;
  top_logprobs?: number | null;
}

const validate = ajv.compile(ChatRequest);

export function openaiChat(limits: Limits): Policy {
  return {
    name: 'openai-chat',
    phase: 'inspect',
    onError: 'fail-closed',
    run: function openaiChatPolicy(ctx) {
      const body = ctx.body as { messages?: unknown } | null;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return deny('MG_REQUEST_INVALID', 'body is not an object');
      if (Array.isArray(body.messages) && body.messages.length > limits.maxMessages) return deny('MG_TOO_MANY_MESSAGES');
      if (!validate(body)) return deny('MG_REQUEST_INVALID', ajv.errorsText(validate.errors));
      const req = body as ChatBody;
      const texts: string[] = [];
      let total = 0;
      for (const m of req.messages) {
        let chars = contentTexts(m.content, texts);
        // Tool-call arguments written by an earlier assistant turn are read by the model too.
        if (m.tool_calls !== undefined) for (const c of m.tool_calls) { texts.push(c.function.arguments); chars += c.function.arguments.length; }
        if (chars > limits.maxMessageChars) return deny('MG_MESSAGE_TOO_LONG');
        total += chars;
      }
      if (total > limits.maxTotalChars) return deny('MG_PROMPT_TOO_LONG');
      // Both names may be sent; the larger one is what a server might honour.
      const maxTokens = Math.max(req.max_completion_tokens ?? 0, req.max_tokens ?? 0) || null;
      const common = checkCommon(req, maxTokens, limits);
      if (common !== undefined) return common;
      if (req.top_logprobs != null && req.top_logprobs > limits.maxLogprobs) return deny('MG_PARAM_OUT_OF_RANGE', 'top_logprobs');
      ctx.inspection = { texts, totalChars: total, stream: req.stream === true, maxTokens, items: req.messages.length, tokenIds: 0, choices: req.n ?? 1, extraUnits: 0 };
      return undefined;
    },
  };
}
