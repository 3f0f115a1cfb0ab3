/**
 * Images in chat requests (inspect phase, after openai-chat validation): `image_url` content
 * parts. A `data:image/…;base64,` URL gets every image check — decoded size (computed from the
 * base64 length before decoding), type, signature, header dimensions, frames, truncation,
 * optional decode — and its pixels ÷ 1,000 are added to the request's cost. A remote http(s) URL
 * would be fetched by the model server (server-side request forgery): refused unless its host is
 * in `limits.imageHosts`, and even then refused when the name resolves to a private, loopback,
 * link-local or metadata address; its size is unknown, so it costs `maxPixels` ÷ 1,000.
 * `limits.maxImages` caps images per request (0, the default: image parts are refused).
 */
import { deny, isDenial, type Denial } from '../../errors.js';
import type { Limits } from '../../config/defaults.js';
import type { Policy } from '../../pipeline/policy.js';
import { checkImageUrl, decodeDataUrl, inspectImage } from '../image/index.js';
import { imageLimitsOf, imageUnits } from '../image/policy.js';

type Part = { type?: unknown; image_url?: { url?: unknown } };

/** Every image URL of a chat body, in order. */
export function imageUrls(body: unknown): string[] {
  const out: string[] = [];
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return out;
  for (const m of messages as { content?: unknown }[]) {
    if (!Array.isArray(m.content)) continue;
    for (const p of m.content as Part[]) {
      if (p.type === 'image_url' && typeof p.image_url?.url === 'string') out.push(p.image_url.url);
    }
  }
  return out;
}

/** DNS lookups for remote image URLs may take this long before the request is refused. */
const LOOKUP_TIMEOUT_MS = 5_000;

export function visionPolicy(limits: Limits): Policy {
  const il = imageLimitsOf(limits);
  return {
    name: 'vision',
    phase: 'inspect',
    onError: 'fail-closed',
    timeoutMs: LOOKUP_TIMEOUT_MS + 5_000,
    run: async function vision(ctx): Promise<Denial | undefined> {
      const urls = imageUrls(ctx.body);
      if (urls.length === 0) return undefined;
      if (urls.length > limits.maxImages) return deny('MG_TOO_MANY_IMAGES', `${urls.length} images`);
      let units = 0;
      for (const url of urls) {
        if (/^data:/i.test(url)) {
          const d = decodeDataUrl(url, il);
          if (isDenial(d)) return d;
          const info = await inspectImage(d.bytes, d.mime, il);
          if (isDenial(info)) return info;
          units += imageUnits(info);
          continue;
        }
        const refused = await checkImageUrl(url, limits.imageHosts);
        if (refused !== undefined) return refused;
        units += limits.maxPixels / 1000;
      }
      if (ctx.inspection !== null) ctx.inspection.extraUnits += units;
      return undefined;
    },
  };
}
