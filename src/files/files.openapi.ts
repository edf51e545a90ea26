import { applyDecorators, type Type } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import {
  ApiProblem,
  ApiProblems,
  ApiReadPreconditions,
  ApiTokenOrLink,
} from '../http/openapi.decorators';
import { headers } from '../http/openapi.headers';
import { ALLOWED_TYPES } from './content-type';

/** The bytes, under the type they were stored as (text types are served with `charset=utf-8`). */
const FILE_CONTENT = {
  content: Object.fromEntries(
    ALLOWED_TYPES.map((type) => [type, { schema: { type: 'string', format: 'binary' } }]),
  ),
};

/** GET /api/files/{id}/links: 200 with the links, never cached. */
export function ApiFileLinks(type: Type<unknown>) {
  return applyDecorators(
    ApiResponse({
      status: 200,
      type,
      description:
        'URLs that open the bytes and the thumbnail without a token until `expiresAt`; new ones on every request (`Cache-Control: no-store`).',
    }),
    ApiProblems(400, 401, 404, 503),
  );
}

/**
 * The bytes and the thumbnail open with the Bearer token or with a `link` in the URL: a link
 * that is altered, for another file or expired is 403.
 */
const ApiFileTokenOrLink = () =>
  applyDecorators(
    ApiTokenOrLink(),
    ApiProblem(
      403,
      [],
      'The `link` does not open this: `link_invalid` (altered, for another file or representation, or made under an earlier JWT_SECRET) or `link_expired`.',
    ),
  );

/** GET /api/files/{id}/content: 200 or 206 with the bytes, 304, 416, as the handler sends them. */
export function ApiFileContent() {
  return applyDecorators(
    ApiHeader({
      name: 'Range',
      required: false,
      description: 'One range, `bytes=a-b`, `bytes=a-` or `bytes=-n`.',
    }),
    ApiHeader({
      name: 'If-Range',
      required: false,
      description: 'The ETag the client holds: Range is honoured only while it is still current.',
    }),
    ApiReadPreconditions(),
    ApiResponse({
      status: 200,
      description:
        'The bytes, with Content-Type (judged by the bytes at upload), Content-Length and, as ETag, their SHA-256.',
      headers: headers('ETag', 'Accept-Ranges', 'Content-Disposition', 'Content-Security-Policy'),
      ...FILE_CONTENT,
    }),
    ApiResponse({
      status: 206,
      description: 'The requested range.',
      headers: headers(
        'ETag',
        'Accept-Ranges',
        'Content-Disposition',
        'Content-Security-Policy',
        'Content-Range',
      ),
      ...FILE_CONTENT,
    }),
    ApiResponse({
      status: 304,
      description: 'Not modified: If-None-Match holds the ETag.',
      headers: headers('ETag', 'Accept-Ranges'),
    }),
    ApiProblems(400, 404, 503),
    ApiProblem(416, ['ETag', 'Accept-Ranges', 'Content-Range']),
    ApiFileTokenOrLink(),
  );
}

/** GET /api/files/{id}/thumbnail: the WebP, 304, or 404 (with Retry-After while processing). */
export function ApiThumbnail() {
  return applyDecorators(
    ApiReadPreconditions(),
    ApiResponse({
      status: 200,
      description: 'A WebP of at most 256 px on its longer side.',
      headers: headers('ETag'),
      content: { 'image/webp': { schema: { type: 'string', format: 'binary' } } },
    }),
    ApiResponse({
      status: 304,
      description: 'Not modified: If-None-Match holds the ETag.',
      headers: headers('ETag'),
    }),
    ApiProblems(400, 503),
    ApiProblem(
      404,
      ['Retry-After'],
      "No such file of the caller's, or no thumbnail: `thumbnail_not_found`, with Retry-After while the image is processing.",
    ),
    ApiFileTokenOrLink(),
  );
}
