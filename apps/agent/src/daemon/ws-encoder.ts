import { summariesJsonOf } from '@skiff/runtime';

/** stands in for a pre-serialized answer while the envelope around it is stringified */
const MARK = JSON.stringify('\u0000skiff-pre-serialized\u0000');

/**
 * tRPC's WebSocket messages as JSON text, like its default encoder, except that an answer
 * that already carries its JSON text (a container list: the runtime keeps each summary's
 * JSON while the container does not change) is spliced in instead of stringified again.
 * Clients decode with plain JSON.parse, as ever.
 */
export const wsEncoder = {
  encode(message: unknown): string {
    const result = (message as { result?: { data?: unknown } } | undefined)?.result;
    const raw = result ? summariesJsonOf(result.data) : undefined;
    if (raw === undefined) return JSON.stringify(message);
    const envelope = JSON.stringify({ ...(message as object), result: { ...result, data: JSON.parse(MARK) as string } });
    return envelope.replace(MARK, () => raw);
  },
  decode(data: string | ArrayBuffer | Uint8Array): unknown {
    if (typeof data !== 'string') throw new Error('the agent takes JSON in text frames');
    return JSON.parse(data);
  },
};
