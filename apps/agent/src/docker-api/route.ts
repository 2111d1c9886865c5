import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * One request as a route handles it. `runtime` is the route's backend (see backend.ts): the
 * runtime as the request's caller may use it, typed down to the calls the route makes.
 */
export interface Call<B> {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: string[];
  runtime: B;
}

/** An endpoint: the first route whose method and pattern match a request serves it. */
export interface Route<B> {
  method: string;
  pattern: RegExp;
  handle(call: Call<B>): Promise<void>;
}

/** the n-th path parameter, URL-decoded */
export const param = (c: { params: string[] }, n = 0) => decodeURIComponent(c.params[n]!);
