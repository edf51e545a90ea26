import { matchHits } from './etag';
import { PreconditionFailedError } from './problem';

/** The conditional headers of a state-changing request (RFC 9110 §13). */
export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

/**
 * Throws 412 unless the request's preconditions hold for the current ETag (null: no such resource).
 * `alreadyApplied`: the resource already is as the change would leave it. A failed If-Match then
 * lets the request answer 2xx as a change that has succeeded (RFC 9110 §13.1.1): a retry whose
 * answer was lost, or the same change made by another client, is not a conflict. If-None-Match
 * still refuses it.
 */
export function assertPreconditions(
  { ifMatch, ifNoneMatch }: Preconditions,
  currentEtag: string | null,
  alreadyApplied = false,
) {
  if (ifMatch !== undefined && !alreadyApplied && !matchHits(ifMatch, currentEtag)) {
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
