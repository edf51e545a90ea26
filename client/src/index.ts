export {
  OrderServiceClient,
  type AccessToken,
  type Credentials,
  type EventStreamLink,
  type FileLinks,
  type FilePage,
  type NewOrder,
  type NewUser,
  type Order,
  type OrderExportPage,
  type OrderExportRequest,
  type OrderListRequest,
  type OrderPage,
  type OrderServiceClientOptions,
  type PageRequest,
  type StoredFile,
  type User,
} from './client.js';
export { type CreateOptions, type Created, newIdempotencyKey } from './idempotent-create.js';
export { type CloudEvent, type EventStreamOptions, type StreamedEvent } from './event-stream.js';
export { ExportFailedError, type OrderExport } from './export-monitor.js';
export { ApiError, CreateUnconfirmedError, type Problem } from './problem.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
export type { components, paths } from './schema.js';
