/**
 * Bench-only module substitutions, registered in a server process before the gateway is imported.
 * BENCH_SHIELD=off: the gateway's own import of graphql-middleware (in src/app.ts) gets an applyMiddleware
 * that returns the schema unchanged, so the same gateway runs without its permission layer (to measure what
 * that layer costs; never a way to run the gateway).
 */
import { register } from 'node:module';

if (process.env.BENCH_SHIELD === 'off') {
  const stub = `data:text/javascript,${encodeURIComponent('export function applyMiddleware(schema) { return schema; }')}`;
  const hooks = `
    export async function resolve(specifier, context, next) {
      if (specifier === 'graphql-middleware' && context.parentURL?.endsWith('/src/app.ts')) {
        return { url: ${JSON.stringify(stub)}, shortCircuit: true };
      }
      return next(specifier, context);
    }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
}
