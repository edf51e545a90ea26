// The key RouteConfig writes; the package's index does not export it, its constants file does.
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { FastifyContextConfig, FastifyInstance, RouteOptions } from 'fastify';

/**
 * Adds `config` to the Fastify config of the routes a handler or a controller declares, where the
 * hooks that run before Nest's pipeline read it (`request.routeOptions.config`). Unlike Nest's
 * `RouteConfig`, which replaces the config whole, it keeps what other decorators put there, so a
 * route can be public, idempotent and bodyless at once. On a controller it is every route's, but a
 * route's own setting of the same name wins.
 */
export function WithRouteConfig(config: FastifyContextConfig): ClassDecorator & MethodDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) {
      addConfig(descriptor.value, config, 'over');
      return;
    }
    const prototype = (target as { prototype: object }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler: unknown = Object.getOwnPropertyDescriptor(prototype, name)?.value;
      if (name !== 'constructor' && typeof handler === 'function')
        addConfig(handler, config, 'under');
    }
  };
}

function addConfig(handler: object, config: FastifyContextConfig, place: 'over' | 'under') {
  const present = Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as
    FastifyContextConfig | undefined;
  const merged = place === 'over' ? { ...present, ...config } : { ...config, ...present };
  Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, merged, handler);
}

/**
 * `config` for the routes declared on Fastify itself rather than by a controller (the API
 * document's, say) that `applies` picks, as they are declared; a route's own setting wins.
 */
export function addRouteConfig(
  fastify: FastifyInstance,
  applies: (route: RouteOptions) => boolean,
  config: FastifyContextConfig,
): void {
  fastify.addHook('onRoute', (route: RouteOptions) => {
    if (applies(route)) route.config = { ...config, ...route.config };
  });
}
