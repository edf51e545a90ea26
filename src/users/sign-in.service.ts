import { Injectable } from '@nestjs/common';
import { TokenService } from '../auth/token.service';
import { TokenResponse } from './dto/token.response';
import { InvalidCredentialsError } from './users.errors';
import { UsersService } from './users.service';

@Injectable()
export class SignInService {
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
