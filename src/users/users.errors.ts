import { DomainError } from '../http/problem';

export class EmailTakenError extends DomainError {
  constructor() {
    super(409, 'email_taken', 'Email taken', 'A user with this email already exists.');
  }
}

export class UserCreatedConcurrentlyError extends DomainError {
  constructor() {
    super(
      409,
      'user_created_concurrently',
      'Conflict',
      'Another request created this user at the same time; retry.',
    );
  }
}

/** One answer for an unknown email and a wrong password, so neither can be probed. */
export class InvalidCredentialsError extends DomainError {
  constructor() {
    super(401, 'invalid_credentials', 'Invalid credentials', 'The email or password is wrong.');
  }
}
