import { Controller, Delete, Get, Headers, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Caller, CurrentCaller, Public } from '../auth/caller';
import { PageQuery } from '../http/dto/page.query';
import { sendOutcome } from '../http/outcome';
import { linkNextPage } from '../http/pages';
import { ResourceUrls } from '../http/resource-urls';
import {
  answeredByPreconditions,
  JsonBody,
  replyWithEtag,
  sendUnlessHead,
} from '../http/responses';
import { TakesNoBody } from '../http/bodyless';
import { UuidParam } from '../http/uuid.pipe';
import { ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  ApiBearer,
  ApiChangePreconditions,
  ApiCreate,
  ApiListPage,
  ApiProblem,
  ApiProblems,
  ApiRead,
} from '../http/openapi.decorators';
import { Idempotency, Idempotent } from '../idempotency/idempotent.decorator';
import type { IdempotentRequest } from '../idempotency/idempotent-request';
import { parseRange } from './byte-range';
import { servedContentType } from './content-type';
import { FileLinkQuery, FileLinksQuery, FileLinksResponse } from './dto/file-links.dto';
import { FilePageResponse, FileResponse } from './dto/file.response';
import { contentDisposition } from './filename';
import { RangeNotSatisfiableError } from './files.errors';
import { ApiFileContent, ApiFileLinks, ApiThumbnail } from './files.openapi';
import { FilesService } from './files.service';
import { UploadReader } from './upload-reader';

/**
 * Uploaded bytes are the caller's, served as an attachment with nosniff; should a browser render
 * them all the same (opened in a tab, an old engine), they may load nothing and run no script.
 */
const SANDBOXED = "default-src 'none'; sandbox";

@ApiTags('files')
@Controller('api/files')
export class FilesController {
  constructor(
    private readonly files: FilesService,
    private readonly uploads: UploadReader,
    private readonly urls: ResourceUrls,
  ) {}

  /** The bytes are stored first; the key, the file row and the answer then commit together. */
  @Post()
  @ApiBearer()
  @ApiOperation({ summary: 'Upload a file (multipart)' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' } },
    },
    description:
      'Exactly one part, named `file`. PNG, JPEG, GIF, WebP, PDF, UTF-8 text or CSV, judged by the bytes; at most MAX_UPLOAD_BYTES.',
  })
  @Idempotent({ required: false })
  @ApiCreate(FileResponse, {
    problems: [400, 401, 408, 413, 415, 422],
  })
  @ApiProblem(
    429,
    ['Retry-After'],
    'UPLOAD_QUEUE uploads already wait at this instance for one of its UPLOAD_CONCURRENCY slots (`rate_limited`); answered before the body is read, with `Connection: close` unless the whole body had arrived: retry after `Retry-After` seconds.',
  )
  async upload(
    @Req() request: FastifyRequest,
    @CurrentCaller() caller: Caller,
    @Idempotency() idempotent: IdempotentRequest | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const staged = await this.uploads.stage(request);
    const { outcome, replayed } = await this.files.create(caller, staged, idempotent);
    return sendOutcome(reply, outcome, replayed);
  }

  @Get()
  @ApiBearer()
  @ApiOperation({ summary: "The caller's files, newest first" })
  @ApiListPage(FilePageResponse, "The caller's files (uploads and exports' CSVs), newest first.")
  async list(
    @Query() query: PageQuery,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FilePageResponse> {
    const page = await this.files.list(caller, query);
    return linkNextPage(reply, this.urls, '/api/files', query, page);
  }

  @Get(':id')
  @ApiBearer()
  @ApiOperation({ summary: "A file's metadata" })
  @ApiRead(FileResponse)
  async get(
    @UuidParam() id: string,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JsonBody<FileResponse> | undefined> {
    return replyWithEtag(reply, await this.files.get(caller, id));
  }

  /** Fresh each time (never cached): each link is a credential of its own. */
  @Get(':id/links')
  @ApiBearer()
  @ApiOperation({
    summary: "URLs of a file's bytes and thumbnail that need no token, until they expire",
  })
  @ApiFileLinks(FileLinksResponse)
  async links(
    @UuidParam() id: string,
    @Query() query: FileLinksQuery,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FileLinksResponse> {
    void reply.header('Cache-Control', 'no-store');
    return this.files.linksTo(caller, id, query.expiresIn);
  }

  /**
   * Streams the bytes: ETag is the SHA-256, Range gives 206 (or 416), If-None-Match 304. Public as
   * the request arrives: a `link` opens it without a token (FilesService.callerFor).
   */
  @Get(':id/content')
  @Public()
  @ApiOperation({ summary: "A file's bytes, whole or a range" })
  @ApiFileContent()
  async content(
    @UuidParam() id: string,
    @Query() query: FileLinkQuery,
    @CurrentCaller() caller: Caller | null,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const owner = this.files.callerFor(caller, query.link, id, 'content');
    const { file, read } = await this.files.open(owner, id);
    const etag = `"${file.sha256}"`;
    if (answeredByPreconditions(reply, etag, { 'Accept-Ranges': 'bytes' }))
      return void reply.send();
    const ifRange = request.headers['if-range'];
    // RFC 9110 defines ranges for GET alone: a HEAD describes the whole file, whatever it asks.
    const range =
      request.method === 'GET' && (ifRange === undefined || ifRange === etag)
        ? parseRange(request.headers.range, file.size)
        : null;
    if (range === 'unsatisfiable') throw new RangeNotSatisfiableError(file.size);
    void reply
      .header('Content-Type', servedContentType(file.contentType))
      .header('Content-Disposition', contentDisposition(file.filename))
      .header('Content-Security-Policy', SANDBOXED);
    if (range) {
      void reply
        .status(206)
        .header('Content-Range', `bytes ${range.start}-${range.end}/${file.size}`);
    }
    const length = range ? range.end - range.start + 1 : file.size;
    void reply.header('Content-Length', String(length));
    sendUnlessHead(reply, () => read(range));
  }

  /** The image's WebP thumbnail, once processed; with a `link`, without a token too. */
  @Get(':id/thumbnail')
  @Public()
  @ApiOperation({ summary: "A file's WebP thumbnail" })
  @ApiThumbnail()
  async thumbnail(
    @UuidParam() id: string,
    @Query() query: FileLinkQuery,
    @CurrentCaller() caller: Caller | null,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const owner = this.files.callerFor(caller, query.link, id, 'thumbnail');
    const { etag, size, read } = await this.files.thumbnail(owner, id);
    if (answeredByPreconditions(reply, etag)) return void reply.send();
    void reply.header('Content-Type', 'image/webp').header('Content-Length', String(size));
    sendUnlessHead(reply, read);
  }

  @Delete(':id')
  @ApiBearer()
  @ApiOperation({ summary: 'Delete a file and its bytes' })
  @HttpCode(204)
  @TakesNoBody()
  @ApiResponse({ status: 204, description: 'Deleted, bytes included.' })
  @ApiChangePreconditions('Delete')
  @ApiProblems(400, 401, 404, 503)
  async delete(
    @UuidParam() id: string,
    @CurrentCaller() caller: Caller,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
  ): Promise<void> {
    await this.files.delete(caller, id, { ifMatch, ifNoneMatch });
  }
}
