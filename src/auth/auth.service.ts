import { Injectable } from '@nestjs/common';
import { UsersService } from '../users/users.service';
import { InvalidCredentialsError } from './auth.errors';
import { TokenResponse } from './dto/token.response';
import { TokenService } from './token.service';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
  ) {}

  async signIn(email: string, password: string): Promise<TokenResponse> {
    const user = await this.users.verifyCredentials(email, password);
    if (!user) throw new InvalidCredentialsError();
    return this.tokens.issue(user.id);
  }
}
