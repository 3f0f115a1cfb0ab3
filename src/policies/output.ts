/**
 * Output protection, set up before forwarding (forward phase): the request gets its own output
 * filter, used by the proxy on the response (respond phase), and — on routes with a canary — a
 * fresh random marker added to its system prompt. The marker is added after inspection, so the
 * injection detector and the limits see the client's request, and the model sees the marker.
 */
import type { Policy } from '../pipeline/policy.js';
import { OutputFilter, type OutputRules } from '../protocols/openai/output.js';
import { canaryText, newCanary } from '../detectors/canary.js';

type Message = { role?: unknown; content?: unknown };

/** Append `text` to the first system (or developer) message, or put a system message first. */
export function addToSystemPrompt(body: unknown, text: string): void {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) throw new Error('chat request without messages');
  const first = messages[0] as Message | undefined;
  if (first !== undefined && (first.role === 'system' || first.role === 'developer')) {
    if (typeof first.content === 'string') {
      first.content = `${first.content}\n\n${text}`;
      return;
    }
    if (Array.isArray(first.content)) {
      first.content.push({ type: 'text', text });
      return;
    }
  }
  messages.unshift({ role: 'system', content: text });
}

export function outputPolicy(rules: OutputRules): Policy {
  const wording = rules.config.canary?.wording ?? null;
  return {
    name: 'output',
    phase: 'forward',
    onError: 'fail-closed',
    run: function output(ctx) {
      const marker = wording === null ? null : newCanary();
      ctx.output = new OutputFilter(rules, marker);
      if (marker !== null) addToSystemPrompt(ctx.body, canaryText(wording as string, marker));
    },
  };
}
