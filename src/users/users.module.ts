import { Module } from '@nestjs/common';
import { ResourceUrls } from '../http/resource-urls';
import { PasswordHasher } from './password-hasher';
import { SignInController } from './sign-in.controller';
import { SignInService } from './sign-in.service';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  // Sign-in first: OpenAPI lists paths in this order, and /api/auth/token came before /api/users.
  controllers: [SignInController, UsersController],
  providers: [UsersService, SignInService, UsersRepository, PasswordHasher, ResourceUrls],
  exports: [UsersService],
})
export class UsersModule {}
