import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
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
      imports: [JwtModule.register({ secret: jwtSecret }), UsersModule],
      controllers: [AuthController],
      providers: [AuthService, TokenService, { provide: APP_GUARD, useClass: AuthGuard }],
      exports: [TokenService],
    };
  }
}
