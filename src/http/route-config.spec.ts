import 'reflect-metadata';
import { RouteConfig } from '@nestjs/platform-fastify';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import { WithRouteConfig } from './route-config';

const configOf = (handler: unknown): unknown =>
  Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler as object);

describe('WithRouteConfig', () => {
  it("keeps what other decorators put in a route's config, in whichever order they run", () => {
    class Routes {
      @WithRouteConfig({ bodyless: true })
      @WithRouteConfig({ access: 'public' })
      action() {}

      @WithRouteConfig({ access: 'public' })
      @WithRouteConfig({ bodyless: true })
      reversed() {}

      @RouteConfig({ bodyless: true }) // Nest's own, applied last, would replace the config whole
      @WithRouteConfig({ access: 'public' })
      replaced() {}
    }
    expect(configOf(Routes.prototype.action)).toEqual({ access: 'public', bodyless: true });
    expect(configOf(Routes.prototype.reversed)).toEqual({ access: 'public', bodyless: true });
    expect(configOf(Routes.prototype.replaced)).toEqual({ bodyless: true });
  });

  it("on a controller, sets every route's config but where a route says otherwise", () => {
    @WithRouteConfig({ access: 'public' })
    class Routes {
      @WithRouteConfig({ access: 'public, token ignored' })
      own() {}

      @WithRouteConfig({ bodyless: true })
      other() {}

      get notARoute() {
        throw new Error('a getter is not read');
      }
    }
    expect(configOf(Routes.prototype.own)).toEqual({ access: 'public, token ignored' });
    expect(configOf(Routes.prototype.other)).toEqual({ access: 'public', bodyless: true });
  });
});
