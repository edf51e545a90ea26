import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { createSecretKey } from 'node:crypto';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { TokenService } from './token.service';

@Module({})
export class AuthModule {
  static withSecret(jwtSecret: string): DynamicModule {
    return {
      module: AuthModule,
      imports: [
        // A KeyObject, not the string: given a string, jsonwebtoken first tries (and fails) to parse
        // it as a public key on every call, which was the largest CPU cost of a request.
        JwtModule.register({ secret: createSecretKey(Buffer.from(jwtSecret)) }),
        UsersModule,
      ],
      controllers: [AuthController],
      providers: [AuthService, TokenService, { provide: APP_GUARD, useClass: AuthGuard }],
      exports: [TokenService],
    };
  }
}
