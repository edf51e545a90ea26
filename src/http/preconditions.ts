import { matchHits } from './etag';
import { PreconditionFailedError } from './problem';

/** The conditional headers of a state-changing request (RFC 9110 §13). */
export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

/** Throws 412 unless the request's preconditions hold for the current ETag (null: no such resource). */
export function assertPreconditions(
  { ifMatch, ifNoneMatch }: Preconditions,
  currentEtag: string | null,
) {
  if (ifMatch !== undefined && !matchHits(ifMatch, currentEtag)) {
    throw new PreconditionFailedError();
  }
  if (
    ifNoneMatch !== undefined &&
    currentEtag !== null &&
    matchHits(ifNoneMatch.replace(/W\//g, ''), currentEtag)
  ) {
    throw new PreconditionFailedError(
      'If-None-Match matched: the resource already exists in that state.',
    );
  }
}
