/**
 * Request schemas of the OpenAI-compatible endpoints, as TypeBox/JSON Schema compiled once by
 * Ajv. They check types and shapes of the fields modelgate or the model server acts on; the
 * numeric caps (messages, characters, max_tokens, n…) are checked afterwards with their own
 * error codes. Unknown top-level parameters pass (servers such as vLLM accept extensions).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { Ajv } from 'ajv';

const nullable = (t: TSchema): TSchema => Type.Union([t, Type.Null()]);
const optNullable = (t: TSchema): TSchema => Type.Optional(nullable(t));

const Sampling = {
  model: Type.Optional(Type.String({ maxLength: 256 })),
  max_tokens: optNullable(Type.Integer({ minimum: 1 })),
  n: optNullable(Type.Integer({ minimum: 1 })),
  stream: optNullable(Type.Boolean()),
  stream_options: optNullable(Type.Object({ include_usage: Type.Optional(Type.Boolean()) })),
  temperature: optNullable(Type.Number({ minimum: 0, maximum: 2 })),
  top_p: optNullable(Type.Number({ minimum: 0, maximum: 1 })),
  presence_penalty: optNullable(Type.Number({ minimum: -2, maximum: 2 })),
  frequency_penalty: optNullable(Type.Number({ minimum: -2, maximum: 2 })),
  stop: optNullable(Type.Union([Type.String({ maxLength: 256 }), Type.Array(Type.String({ maxLength: 256 }), { maxItems: 4 })])),
  seed: optNullable(Type.Integer()),
  user: Type.Optional(Type.String({ maxLength: 256 })),
};

const TextPart = Type.Object({ type: Type.Literal('text'), text: Type.String() });
const RefusalPart = Type.Object({ type: Type.Literal('refusal'), refusal: Type.String() });
const ImagePart = Type.Object({
  type: Type.Literal('image_url'),
  image_url: Type.Object({ url: Type.String({ minLength: 1 }), detail: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('low'), Type.Literal('high')])) }, { additionalProperties: false }),
}, { additionalProperties: false });

const ToolCall = Type.Object({
  id: Type.String({ maxLength: 256 }),
  type: Type.Literal('function'),
  function: Type.Object({ name: Type.String({ maxLength: 256 }), arguments: Type.String() }),
});

const Message = Type.Union([
  Type.Object({
    role: Type.Union([Type.Literal('system'), Type.Literal('developer')]),
    content: Type.Union([Type.String(), Type.Array(TextPart, { minItems: 1 })]),
    name: Type.Optional(Type.String({ maxLength: 256 })),
  }, { additionalProperties: false }),
  Type.Object({
    // Only user messages carry images (checked by the vision policy; refused unless enabled).
    role: Type.Literal('user'),
    content: Type.Union([Type.String(), Type.Array(Type.Union([TextPart, ImagePart]), { minItems: 1 })]),
    name: Type.Optional(Type.String({ maxLength: 256 })),
  }, { additionalProperties: false }),
  Type.Object({
    role: Type.Literal('assistant'),
    content: optNullable(Type.Union([Type.String(), Type.Array(Type.Union([TextPart, RefusalPart]))])),
    name: Type.Optional(Type.String({ maxLength: 256 })),
    refusal: optNullable(Type.String()),
    tool_calls: Type.Optional(Type.Array(ToolCall, { maxItems: 128 })),
  }, { additionalProperties: false }),
  Type.Object({
    role: Type.Literal('tool'),
    content: Type.Union([Type.String(), Type.Array(TextPart, { minItems: 1 })]),
    tool_call_id: Type.String({ maxLength: 256 }),
  }, { additionalProperties: false }),
]);

const Tool = Type.Object({
  type: Type.Literal('function'),
  function: Type.Object({
    name: Type.String({ maxLength: 256 }),
    description: Type.Optional(Type.String()),
    parameters: Type.Optional(Type.Object({})),
    strict: optNullable(Type.Boolean()),
  }),
});

export const ChatRequest = Type.Object({
  ...Sampling,
  messages: Type.Array(Message, { minItems: 1 }),
  max_completion_tokens: optNullable(Type.Integer({ minimum: 1 })),
  logprobs: optNullable(Type.Boolean()),
  top_logprobs: optNullable(Type.Integer({ minimum: 0 })),
  tools: Type.Optional(Type.Array(Tool, { maxItems: 128 })),
});

const TokenArray = Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 });
const PromptInput = Type.Union([
  Type.String(),
  Type.Array(Type.String(), { minItems: 1 }),
  TokenArray,
  Type.Array(TokenArray, { minItems: 1 }),
]);

export const CompletionRequest = Type.Object({
  ...Sampling,
  prompt: PromptInput,
  suffix: optNullable(Type.String()),
  echo: optNullable(Type.Boolean()),
  best_of: optNullable(Type.Integer({ minimum: 1 })),
  logprobs: optNullable(Type.Integer({ minimum: 0 })),
});

export const EmbeddingRequest = Type.Object({
  model: Type.Optional(Type.String({ maxLength: 256 })),
  input: PromptInput,
  encoding_format: Type.Optional(Type.Union([Type.Literal('float'), Type.Literal('base64')])),
  dimensions: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_536 })),
  user: Type.Optional(Type.String({ maxLength: 256 })),
});

export const ajv = new Ajv({ allErrors: false, strict: false });
