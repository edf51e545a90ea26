import { v7 } from 'uuid';

/** Time-ordered ids (UUIDv7), made by the service so a create knows its id before it writes. */
export function newId(): string {
  return v7();
}

export const UUID_PATTERN =
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isUuid(text: string): boolean {
  return UUID_PATTERN.test(text);
}
