// Runs inside the browser page (see index.html), with the built client as a frontend would use it.
import { ApiError, newIdempotencyKey, type NewOrder, OrderServiceClient } from '../../src/index.js';

const ORDER: NewOrder = {
  currency: 'EUR',
  items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 1250 }],
};

/** Everything a frontend does, returned as plain data for the test to check. */
export async function createEverything(serviceUrl: string) {
  const client = new OrderServiceClient({ baseUrl: serviceUrl });
  const password = 'correct horse battery staple';
  const email = `browser-${newIdempotencyKey()}@example.com`;
  const signedUp = await client.signUp({ email, name: 'Browser Test', password });
  await client.signIn({ email, password });
  const created = await client.createOrder(ORDER);
  const replayed = await client.createOrder(ORDER, { idempotencyKey: created.idempotencyKey });
  const text = 'hello from the browser\n';
  const file = await client.uploadFile(new Blob([text], { type: 'text/plain' }), 'hello.txt');
  const wrongPassword = await client
    .signIn({ email, password: 'not the password' })
    .catch(errorSummary);
  const orders = await client.listOrders();
  return {
    signedUp,
    created,
    replayed,
    file,
    wrongPassword,
    orderIds: orders.data.map((o) => o.id),
  };
}

/**
 * Uploads an image made on a canvas and waits, on events(), for its `file.ready`: the stream
 * resumes after the feed's cursor from before the upload, so it cannot miss it.
 */
export async function uploadImageAndAwaitReady(serviceUrl: string) {
  const client = await signedInClient(serviceUrl, 'Browser Events');
  const feed = await feedHoldingSignUp(client);
  const canvas = new OffscreenCanvas(64, 48);
  canvas.getContext('2d')!.fillRect(0, 0, 32, 24);
  const uploaded = await client.uploadFile(await canvas.convertToBlob(), 'canvas.png');
  const controller = new AbortController();
  const seen: string[] = [];
  const after = feed?.nextCursor ?? undefined;
  for await (const { event } of client.events({ after, signal: controller.signal })) {
    seen.push(`${event.type} ${event.subject === uploaded.data.id ? 'upload' : 'other'}`);
    if (event.type === 'file.ready') {
      controller.abort();
      return { seen, ready: event.data, fileId: uploaded.data.id };
    }
  }
  throw new Error(`the stream ended before file.ready: ${seen.join(', ')}`);
}

/**
 * The browser's own EventSource, which cannot send a token, on the stream's link: opened, it
 * receives the order created next, under its type's name, and is closed.
 */
export async function eventSourceOnLink(serviceUrl: string) {
  const client = await signedInClient(serviceUrl, 'Browser EventSource');
  const { streamUrl } = await client.eventStreamLink();
  const source = new EventSource(streamUrl);
  try {
    await new Promise((resolve, reject) => {
      source.onopen = resolve; // attached: the order below is the stream's
      source.onerror = () =>
        reject(new Error(`EventSource failed (readyState ${source.readyState})`));
    });
    const received = new Promise<MessageEvent<string>>((resolve) =>
      source.addEventListener('order.created', resolve, { once: true }),
    );
    const created = await client.createOrder(ORDER);
    const message = await received;
    const event = JSON.parse(message.data) as { type: string; subject: string };
    return {
      type: event.type,
      isTheOrder: event.subject === created.data.id,
      id: message.lastEventId,
    };
  } finally {
    source.close();
  }
}

/** A client of a new user's, signed in. */
async function signedInClient(serviceUrl: string, name: string) {
  const client = new OrderServiceClient({ baseUrl: serviceUrl });
  const password = 'correct horse battery staple';
  const email = `browser-${newIdempotencyKey()}@example.com`;
  await client.signUp({ email, name, password });
  await client.signIn({ email, password });
  return client;
}

/**
 * The caller's feed once it holds the sign-up's event: events are numbered just after they
 * commit, and a feed read before would have no cursor to resume after.
 */
async function feedHoldingSignUp(client: OrderServiceClient) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { data } = await client.raw.GET('/api/events', { params: { query: { limit: 100 } } });
    if (data && data.data.length > 0) return data;
    if (Date.now() > deadline) throw new Error('no user.created in the feed within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A sign-in with made-up credentials: what a page of this origin gets to see of the answer. */
export async function signInFromThisOrigin(serviceUrl: string) {
  const client = new OrderServiceClient({ baseUrl: serviceUrl });
  return client
    .signIn({ email: 'nobody@example.com', password: 'not a password' })
    .then(() => ({}), errorSummary);
}

function errorSummary(error: unknown) {
  if (error instanceof ApiError)
    return { name: error.name, status: error.status, code: error.code };
  return { name: (error as Error).name, message: (error as Error).message };
}
