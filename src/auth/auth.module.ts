import { DynamicModule, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { createSecretKey } from 'node:crypto';
import { TokenService } from './token.service';

/**
 * Plumbing every feature relies on: the token service, which names each request's caller as it
 * arrives (authenticateOnArrival, installed by app.ts).
 * Global, so features reach TokenService without importing this module (it needs the secret);
 * it imports no feature, so sign-in, which needs users, lives in the users module.
 */
@Module({})
export class AuthModule {
  static withSecret(jwtSecret: string): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      imports: [
        // A KeyObject, not the string: given a string, jsonwebtoken first tries (and fails) to parse
        // it as a public key on every call, which was the largest CPU cost of a request.
        JwtModule.register({ secret: createSecretKey(Buffer.from(jwtSecret)) }),
      ],
      providers: [TokenService],
      exports: [TokenService],
    };
  }
}
