import { DomainError, UnsupportedMediaTypeError, ValidationFailedError } from '../http/problem';

export class UnsupportedFileTypeError extends DomainError {
  constructor(
    detail = 'Only PNG, JPEG, GIF, WebP, PDF and UTF-8 text or CSV files are accepted, judged by their content.',
  ) {
    super(415, 'unsupported_file_type', 'Unsupported file type', detail);
  }
}

export class FileTooLargeError extends DomainError {
  constructor(maxBytes: number) {
    super(413, 'file_too_large', 'File too large', `Files may be at most ${maxBytes} bytes.`);
  }
}

export class NotMultipartError extends UnsupportedMediaTypeError {
  constructor() {
    super('Send the file as multipart/form-data with one part named "file".');
  }
}

export function badUpload(message: string): ValidationFailedError {
  return new ValidationFailedError(
    [{ field: 'file', message }],
    `The upload is not valid: ${message}.`,
  );
}

export class UploadTimeoutError extends DomainError {
  constructor(timeoutMs: number) {
    super(
      408,
      'request_timeout',
      'Request timeout',
      `The upload did not arrive whole within ${timeoutMs / 1000} s (REQUEST_TIMEOUT).`,
    );
  }
}

export class UploadIdleError extends DomainError {
  constructor(idleMs: number) {
    super(
      408,
      'request_timeout',
      'Request timeout',
      `The upload sent nothing for ${idleMs / 1000} s while it was being read (UPLOAD_IDLE_TIMEOUT).`,
    );
  }
}

/** Refused before its body is read: the retry sends it again, as safely as the first try. */
export class UploadsBusyError extends DomainError {
  constructor() {
    super(
      429,
      'rate_limited',
      'Too many requests',
      'Too many uploads are waiting at this instance; retry after Retry-After seconds.',
      { 'Retry-After': '1' },
    );
  }
}

export class RangeNotSatisfiableError extends DomainError {
  constructor(size: number) {
    super(416, 'range_not_satisfiable', 'Range not satisfiable', `The file has ${size} bytes.`, {
      'Content-Range': `bytes */${size}`,
    });
  }
}

/** 404 for a file without a thumbnail; while the file is processing, Retry-After says when to look. */
export class ThumbnailNotFoundError extends DomainError {
  constructor(processing: boolean) {
    super(
      404,
      'thumbnail_not_found',
      'No thumbnail',
      processing
        ? 'The image is still being processed; its thumbnail comes soon.'
        : 'This file has no thumbnail: it is not an image, or it could not be processed.',
      processing ? { 'Retry-After': '1' } : {},
    );
  }
}
