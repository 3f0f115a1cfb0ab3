/** Helpers shared by the OpenAI validators: the text a message carries, and prompt inputs. */

export interface TextPartLike { type: string; text?: string; refusal?: string; }

/** The text of a message's content (string, or the text of its parts), pushed into `out`. */
export function contentTexts(content: unknown, out: string[]): number {
  if (typeof content === 'string') {
    out.push(content);
    return content.length;
  }
  let chars = 0;
  if (Array.isArray(content)) {
    for (const part of content as TextPartLike[]) {
      const t = part.text ?? part.refusal;
      if (typeof t === 'string') {
        out.push(t);
        chars += t.length;
      }
    }
  }
  return chars;
}

/**
 * A prompt/input field (string | string[] | number[] | number[][]) as a list of items. Token-id
 * arrays count 4 characters per token, the usual English average, so that a token prompt cannot
 * slip under the character caps.
 */
export function promptItems(input: unknown): { texts: string[]; sizes: number[]; tokenIds: number } {
  const texts: string[] = [];
  const sizes: number[] = [];
  let tokenIds = 0;
  const one = (v: unknown): void => {
    if (typeof v === 'string') {
      texts.push(v);
      sizes.push(v.length);
    } else if (Array.isArray(v)) {
      sizes.push(v.length * 4);
      tokenIds += v.length;
    }
  };
  if (typeof input === 'string') one(input);
  else if (Array.isArray(input)) {
    if (input.length > 0 && typeof input[0] === 'number') one(input);
    else for (const v of input) one(v);
  }
  return { texts, sizes, tokenIds };
}
