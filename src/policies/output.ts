/**
 * Output protection, set up before forwarding (forward phase): the request gets its own output
 * filter, used by the proxy on the response (respond phase), and — on routes with a canary — a
 * fresh random marker placed first in its system prompt. The marker is added after inspection,
 * so the injection detector and the limits see the client's request, and the model sees the
 * marker. It goes first so that a model repeating its system prompt hits the marker within the
 * first few words, before any of the client's instructions (or secrets) stream out; the
 * system-prompt fingerprint (detectors/prompt-leak.ts) catches a copy that starts anywhere else.
 */
import type { Policy } from '../pipeline/policy.js';
import { OutputFilter, type OutputRules } from '../protocols/openai/output.js';
import { canaryText, newCanary } from '../detectors/canary.js';
import { PromptFingerprint } from '../detectors/prompt-leak.js';

type Message = { role?: unknown; content?: unknown };

/** Put `text` first in the first system (or developer) message, or put a system message first. */
export function addToSystemPrompt(body: unknown, text: string): void {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) throw new Error('chat request without messages');
  const first = messages[0] as Message | undefined;
  if (first !== undefined && (first.role === 'system' || first.role === 'developer')) {
    if (typeof first.content === 'string') {
      first.content = `${text}\n\n${first.content}`;
      return;
    }
    if (Array.isArray(first.content)) {
      first.content.unshift({ type: 'text', text });
      return;
    }
  }
  messages.unshift({ role: 'system', content: text });
}

/** The text of every system and developer message (what a prompt leak would repeat). */
export function systemPromptText(body: unknown): string {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return '';
  const parts: string[] = [];
  for (const m of messages as Message[]) {
    if (m === null || typeof m !== 'object' || (m.role !== 'system' && m.role !== 'developer')) continue;
    if (typeof m.content === 'string') parts.push(m.content);
    else if (Array.isArray(m.content)) for (const p of m.content as { text?: unknown }[]) if (typeof p?.text === 'string') parts.push(p.text);
  }
  return parts.join('\n');
}

export function outputPolicy(rules: OutputRules): Policy {
  const wording = rules.config.canary?.wording ?? null;
  const leakWords = rules.config.systemPromptLeak?.words ?? null;
  return {
    name: 'output',
    phase: 'forward',
    onError: 'fail-closed',
    run: function output(ctx) {
      const marker = wording === null ? null : newCanary();
      if (marker !== null) addToSystemPrompt(ctx.body, canaryText(wording as string, marker));
      const prompt = leakWords === null ? null : PromptFingerprint.of(systemPromptText(ctx.body), leakWords, marker);
      ctx.output = new OutputFilter(rules, marker, prompt);
    },
  };
}
