import { User } from '../user.entity';

/** What a user sees of their account: never the password hash. */
export class UserResponse {
  id: string;
  email: string;
  name: string;
  createdAt: string;
  updatedAt: string;

  static from(user: User): UserResponse {
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      createdAt: user.createdAt.toISOString(),
      updatedAt: user.updatedAt.toISOString(),
    };
  }
}
