import multipart from '@fastify/multipart';
import { isUtf8 } from 'node:buffer';
import { DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger as NestPinoLogger, LoggerModule } from 'nestjs-pino';
import { Logger } from 'pino';
import { AppDependencies, AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { authenticateOnArrival } from './auth/authentication';
import { TokenService } from './auth/token.service';
import { refuseBodiesWhereNoneIsTaken } from './http/bodyless';
import { refuseUnreadableBodies } from './http/body-encoding';
import { clientErrorHandler } from './http/client-error';
import { allowOriginBeforeHooks, enableCors } from './http/cors';
import { setEveryAnswersHeaders } from './http/every-answer';
import { CreateExecutor } from './idempotency/create-executor';
import { answerRetriesEarly } from './idempotency/early-replay';
import { Metrics } from './metrics/metrics';
import { RequestLogController, routeOf } from './http/logger';
import { requestIdFor } from './http/request-id';
import { Draining } from './health/draining';
import { serveOpenApi } from './http/openapi';
import { isEventStream } from './http/event-stream-response';
import { JSON_BODY_LIMIT, MAX_JSON_DEPTH, nestingDepth } from './http/json-depth';
import { jsonRefusal, loneSurrogateField } from './http/json-text';
import { bodyRefusal, ServiceUnavailableError, ValidationFailedError } from './http/problem';
import { sendError } from './http/send-problem';
import { CompiledBodies } from './http/compiled-bodies';
import { createValidationPipe } from './http/validation';

/** Builds the whole HTTP application; main.ts and the e2e tests both start it this way. */
export async function createApp(
  deps: AppDependencies,
  logger: Logger,
): Promise<NestFastifyApplication> {
  const adapter = fastifyAdapter(deps.config, logger);
  const app = await NestFactory.create<NestFastifyApplication>(
    LoggedAppModule.with(deps, logger),
    adapter,
    {
      bufferLogs: true, // start-up lines wait for the pino logger below rather than go to the console
      bodyParser: false, // Fastify's own JSON parser only: no form bodies
    },
  );
  app.useLogger(app.get(NestPinoLogger));
  app.flushLogs(); // now, in order, rather than once the server listens
  app.useGlobalPipes(createValidationPipe(compiledBodies(logger)));
  if (deps.config.corsOrigins.length > 0) enableCors(app, deps.config.corsOrigins);
  installHttpBasics(app.getHttpAdapter().getInstance(), app.get(TokenService));
  closeConnectionsWhileDraining(app.getHttpAdapter().getInstance(), app.get(Draining));
  serveOpenApi(app);
  recordMetrics(app.getHttpAdapter().getInstance(), app.get(Metrics));
  answerRetriesEarly(app.getHttpAdapter().getInstance(), app.get(CreateExecutor));
  // Uploads are read as streams by the files module, with per-request limits.
  await app.register(multipart, { throwFileSizeLimit: true });
  await app.init();
  return app;
}

/** The validation's fast path, or none (a warning) when openapi.json is not beside package.json. */
function compiledBodies(logger: Logger): CompiledBodies | null {
  const compiled = CompiledBodies.fromPackageDocument();
  if (!compiled) logger.warn('openapi.json not found: every body takes the full validation pass');
  return compiled;
}

/** Node's own default bound on a request's headers. */
const NODE_HEADERS_TIMEOUT_MS = 60_000;

/**
 * How often Node looks for requests past their timeout: a tenth of it, between every second and
 * Node's own every 30 s, so a REQUEST_TIMEOUT is kept to within a tenth of it or a second,
 * whichever is longer, rather than up to 30 s late.
 */
function timeoutCheckInterval(requestTimeoutMs: number): number {
  return Math.min(30_000, Math.max(1_000, Math.round(requestTimeoutMs / 10)));
}

/** Fastify as the service runs it: its limits, its request ids and logs, its errors as problem+json. */
function fastifyAdapter(config: AppConfig, logger: Logger): FastifyAdapter {
  return new FastifyAdapter({
    loggerInstance: logger,
    logController: new RequestLogController(),
    genReqId: requestIdFor,
    bodyLimit: JSON_BODY_LIMIT,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: false, // answered as problem+json instead: refuseRequestsWhileClosing
    trustProxy: config.trustProxy,
    requestTimeout: config.requestTimeoutMs,
    http: {
      // Node swaps the two timeouts when headersTimeout (60 s by default) is the longer: a shorter
      // REQUEST_TIMEOUT would bound the headers alone, and a body would get 60 s.
      headersTimeout: Math.min(NODE_HEADERS_TIMEOUT_MS, config.requestTimeoutMs),
      connectionsCheckingInterval: timeoutCheckInterval(config.requestTimeoutMs),
    },
    clientErrorHandler: clientErrorHandler(config.corsOrigins),
    // Router-level rejections (malformed URL, a path parameter over 100 characters) as problem+json
    // too; no onRequest hook has run for them, so they get every answer's headers and CORS here.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      setEveryAnswersHeaders(request, reply);
      allowOriginBeforeHooks(config.corsOrigins, request, reply);
      sendError(error, request, reply);
    },
  });
}

/**
 * The application with nestjs-pino on the pino instance Fastify already logs requests with
 * (`useExisting`: no pino-http middleware), so Nest's own lines are the same JSON. Its per-request
 * middleware, which runs each request inside an AsyncLocalStorage through Nest's middleware layer,
 * is left off too (`forRoutes: []`): it was a large share of a cheap request's CPU (see
 * bench/README.md). Code that logs for a request uses `request.log`,
 * which already carries its reqId.
 */
@Module({})
export class LoggedAppModule {
  static with(deps: AppDependencies, logger: Logger): DynamicModule {
    return {
      module: LoggedAppModule,
      imports: [
        AppModule.with(deps),
        LoggerModule.forRoot({ pinoHttp: { logger }, useExisting: true, forRoutes: [] }),
      ],
    };
  }
}

/** The only routes that read multipart bodies; elsewhere such a body is the wrong media type. */
const MULTIPART_ROUTES = new Set(['/api/files']);

function installHttpBasics(fastify: FastifyInstance, tokens: TokenService) {
  fastify.removeContentTypeParser('text/plain'); // JSON only: anything else answers 415
  parseJsonBodies(fastify);
  // Hooks with nothing to wait for take `done` rather than being async: no promise per request.
  fastify.addHook('onRequest', (request, reply, done) => {
    setEveryAnswersHeaders(request, reply);
    done();
  });
  refuseRequestsWhileClosing(fastify);
  // Before any judgement of the body: without credentials, a 401 is the whole answer.
  authenticateOnArrival(fastify, tokens);
  refuseBodiesWhereNoneIsTaken(fastify);
  refuseUnreadableBodies(fastify, MULTIPART_ROUTES);
}

/** Once the process is stopping, keep-alive clients are sent elsewhere with their next answer. */
function closeConnectionsWhileDraining(fastify: FastifyInstance, draining: Draining) {
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (draining.active) void reply.header('Connection', 'close');
    done(null, payload);
  });
}

/**
 * A request that still arrives once the server is closing (pipelined behind one in flight) gets
 * the service's 503, problem+json with Retry-After, and its connection closed; Fastify's own
 * `return503OnClosing` answer is plain JSON without either. The request in flight still finishes.
 */
function refuseRequestsWhileClosing(fastify: FastifyInstance) {
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!closing) return done();
    void reply.header('Connection', 'close');
    sendError(new ServiceUnavailableError(1, SHUTTING_DOWN), request, reply);
  });
}

const SHUTTING_DOWN = 'This instance is shutting down; retry, and another one will answer.';

const notUtf8 = () =>
  bodyRefusal('the body is not well-formed UTF-8', 'The body is not well-formed UTF-8.');

/**
 * Fastify's own JSON parsing (proto-poisoning checks included), after a cheap nesting-depth check
 * and before a check for text that has no UTF-8 form. Its refusals are answered in the service's
 * words (jsonRefusal), a poisoning key named, since Nest would hand Fastify's error on by its
 * message alone.
 */
function parseJsonBodies(fastify: FastifyInstance) {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: JSON_BODY_LIMIT },
    (request, bytes: Buffer, done) => {
      // Decoded as is, bytes that are not UTF-8 would be stored as U+FFFD without a word.
      if (!isUtf8(bytes)) return done(notUtf8(), undefined);
      const body = bytes.toString('utf8');
      if (nestingDepth(body) > MAX_JSON_DEPTH) {
        const message = `JSON may be nested at most ${MAX_JSON_DEPTH} levels deep`;
        return done(bodyRefusal(message), undefined);
      }
      void parseJson(request, body, (error: Error | null, value?: unknown) => {
        if (error) return done(jsonRefusal(body), undefined);
        const field = loneSurrogateField(body, value);
        if (field === null) return done(null, value);
        done(
          new ValidationFailedError([{ field, message: `${field} must be well-formed Unicode` }]),
          undefined,
        );
      });
    },
  );
}

/**
 * Every answered request is counted and timed by its route template (never the raw URL); an event
 * stream is not (events_streams_open counts those).
 */
function recordMetrics(fastify: FastifyInstance, metrics: Metrics) {
  fastify.addHook('onResponse', (request, reply, done) => {
    if (isEventStream(reply)) return done();
    metrics.observe(request.method, routeOf(request), reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
