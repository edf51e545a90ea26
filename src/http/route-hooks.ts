import type { FastifyInstance, RouteOptions } from 'fastify';

type RouteHookName = 'preValidation' | 'preHandler' | 'onSend';
/** One hook of the kind `name` (RouteOptions takes one or a list). */
type RouteHook<K extends RouteHookName> = Extract<
  NonNullable<RouteOptions[K]>,
  (...args: never[]) => unknown
>;

/**
 * Adds `hook` to the routes that `applies` picks, as they are declared (Fastify's onRoute), rather
 * than to every request: a route without it does not call it, and Fastify skips a stage whose
 * hooks are none. Call it before the routes are declared. It runs after every global hook of its
 * kind, those added later too: a hook that must run before another global one stays global.
 */
export function addRouteHook<K extends RouteHookName>(
  fastify: FastifyInstance,
  name: K,
  applies: (route: RouteOptions) => boolean,
  hook: RouteHook<K>,
): void {
  fastify.addHook('onRoute', (route: RouteOptions) => {
    if (!applies(route)) return;
    const present: unknown = route[name] ?? [];
    route[name] = [...(Array.isArray(present) ? present : [present]), hook] as RouteOptions[K];
  });
}
