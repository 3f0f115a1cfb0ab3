/**
 * Request bodies of the attack benchmark (bench/attack.ts): ordinary English, nothing that looks
 * like an injection, so that the attacker is limited by what its prompts COST, not by a detector.
 */

const SENTENCES = [
  'The committee met on Tuesday to review the quarterly figures for the northern warehouses.',
  'Shipping volumes rose slightly in the spring, mostly because of the new contract with a regional grocer.',
  'Several drivers reported that the loading docks were crowded in the early morning hours.',
  'The finance team suggested moving part of the inventory to the smaller site near the river.',
  'A short survey of customers showed that most of them valued reliable delivery times over lower prices.',
  'The weather in late autumn delayed two shipments, but both arrived before the end of the month.',
  'Maintenance on the conveyor belts was scheduled for the first weekend of the next quarter.',
  'The new scheduling software reduced the time spent planning routes by about a third.',
  'Staff training sessions were held in the cafeteria and were generally well attended.',
  'One supplier raised its prices, so the purchasing department started talking to two alternatives.',
  'The report also notes that electricity costs went up during the unusually cold winter.',
  'Managers agreed to review the staffing plan again once the holiday season was over.',
  'Most of the trucks are now less than five years old and need fewer repairs than before.',
  'The pilot project with reusable crates worked well and may be extended to other routes.',
  'A few customers asked for deliveries on Saturdays, which would require a second shift.',
  'The accounting close went smoothly, and the auditors had only minor comments this year.',
];

/**
 * About `chars` characters of plain prose (sentences cycled in a fixed pseudo-random order). The
 * simulator counts ceil(chars / 4) prompt tokens; a BPE tokenizer counts somewhat fewer.
 */
export function prose(chars: number, seed = 1): string {
  let s = seed >>> 0;
  const parts: string[] = [];
  let len = 0;
  while (len < chars) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const sentence = SENTENCES[(s >>> 8) % SENTENCES.length] ?? 'The meeting ended early.';
    parts.push(sentence);
    len += sentence.length + 1;
  }
  return parts.join(' ').slice(0, chars);
}

export const SYSTEM_PROMPT = 'You are a helpful assistant for a logistics company. Answer briefly.';

/** A chat completion body: the system prompt, one user message of `userChars`, `maxTokens`. */
export function chatBody(userChars: number, maxTokens: number, seed: number, lead = 'Please summarise the following notes in two sentences:'): string {
  return JSON.stringify({
    model: 'sim-llm',
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: `${lead} ${prose(userChars - lead.length - 1, seed)}` },
    ],
    max_tokens: maxTokens,
  });
}
