import {
  newIdempotencyKey,
  type NewOrder,
  type NewUser,
  OrderServiceClient,
} from '../../src/index.js';

export const ORDER: NewOrder = {
  currency: 'EUR',
  items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 1250 }],
};

export function newUser(): NewUser {
  return {
    email: `user-${newIdempotencyKey()}@example.com`,
    name: 'Client Test',
    password: 'correct horse battery staple',
  };
}

/** A new user, signed up and signed in directly (not through any fault the test injects). */
export async function signedInUser(
  baseUrl: string,
): Promise<{ accessToken: string; userId: string }> {
  const client = new OrderServiceClient({ baseUrl });
  const user = newUser();
  const created = await client.signUp(user);
  const token = await client.signIn({ email: user.email, password: user.password });
  return { accessToken: token.accessToken, userId: created.data.id };
}
