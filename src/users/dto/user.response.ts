import { ApiTimestamp, ApiUuid } from '../../http/openapi.decorators';
import { User } from '../user.entity';

export type PublicUser = Pick<User, 'id' | 'email' | 'name' | 'createdAt' | 'updatedAt'>;

/** What a user sees of their account: never the password hash. */
export class UserResponse {
  @ApiUuid()
  id: string;
  email: string;
  name: string;
  @ApiTimestamp()
  createdAt: string;
  @ApiTimestamp()
  updatedAt: string;

  static from(user: PublicUser): UserResponse {
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      createdAt: user.createdAt.toISOString(),
      updatedAt: user.updatedAt.toISOString(),
    };
  }
}
