/** An uploaded file's metadata; `url` downloads its bytes. */
export class FileResponse {
  id: string;
  /** The client's filename, sanitised; display only. */
  filename: string;
  /** Judged from the bytes. */
  contentType: string;
  size: number;
  /** Hex SHA-256 of the bytes; also the download's ETag. */
  sha256: string;
  url: string;
  createdAt: string;
}
