import { RateLimitCounter } from './auth/rate-limit-counter.entity';
import {
  EventPositions,
  EventRelayCheckpoint,
  EventRelayProgress,
  EventRetentionHorizon,
  PendingEvent,
  StoredEvent,
} from './events/event.entity';
import { StoredFile } from './files/file.entity';
import { FileBlob, FileBlobChunk } from './files/storage/blob.entities';
import { IdempotencyKey } from './idempotency/idempotency-key.entity';
import { JobRunnerHeartbeat } from './jobs/job-runner-heartbeat.entity';
import { OrderItem } from './orders/order-item.entity';
import { OrderExport } from './order-exports/order-export.entity';
import { Order } from './orders/order.entity';
import { User } from './users/user.entity';

/**
 * Every entity of the service, listed here beside the app module, where the features are put
 * together, so that src/database imports no feature. Each entry point hands it to the data source.
 */
export const ENTITIES = [
  User,
  IdempotencyKey,
  Order,
  OrderItem,
  StoredFile,
  FileBlob,
  FileBlobChunk,
  JobRunnerHeartbeat,
  StoredEvent,
  EventPositions,
  EventRelayCheckpoint,
  EventRelayProgress,
  EventRetentionHorizon,
  PendingEvent,
  OrderExport,
  RateLimitCounter,
];
