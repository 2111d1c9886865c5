/**
 * The platform's fetch, captured when the runtime loads. The agent later hosts the
 * dashboard (Next.js) in the same process, and Next replaces globalThis.fetch with a
 * caching wrapper that, among other things, hangs on cancelled response bodies; registry
 * traffic must not go through it.
 */
export const platformFetch: typeof fetch = globalThis.fetch.bind(globalThis);
