import { DomainError } from '../http/problem';

/** One answer for an unknown email and a wrong password, so neither can be probed. */
export class InvalidCredentialsError extends DomainError {
  constructor() {
    super(401, 'invalid_credentials', 'Invalid credentials', 'The email or password is wrong.');
  }
}
