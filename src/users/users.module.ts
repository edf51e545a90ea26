import { Module } from '@nestjs/common';
import { ResourceUrls } from '../http/resource-urls';
import { PasswordHasher } from './password-hasher';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, PasswordHasher, ResourceUrls],
  exports: [UsersService],
})
export class UsersModule {}
