import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ProtectedResource, ResolvedResource, Scopes, UmaResource } from '@app/auth';
import {
  ApiProblems,
  problem,
  ProblemException,
  QuotaProblemDto,
  validationProblem,
} from '@app/common';
import { RateLimitPolicy } from '@app/platform';
import { ALBUM } from '../albums/album.ts';
import type { AlbumRecord } from '../albums/album.repository.ts';
import { quotaExceeded } from '../quotas/owner-quotas.ts';
import { PhotoResponseDto } from './photo.dto.ts';
import { MAX_PHOTO_BYTES, PhotoService } from './photo.service.ts';

const photoIdPipe = new ParseUUIDPipe({
  exceptionFactory: () =>
    validationProblem([{ field: 'photoId', message: 'photoId is not a valid photo id' }]),
});

const photoIdMalformed = problem(400, 'validation', '`photoId` is not a valid photo id');
const photoNotFound = problem(404, 'not-found', 'no such photo in the album');

/** `inline` with an ASCII fallback name and the exact name in RFC 5987 form. */
function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replaceAll('"', '_');
  return `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** The multipart body cannot be read (no boundary, cut short, ...): the client's fault. */
function malformedMultipart(): ProblemException {
  return new ProblemException({
    status: 400,
    code: 'malformed-multipart',
    detail: 'The multipart/form-data body could not be read; send the photo in a field named file.',
  });
}

function isFileTooLarge(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'FST_REQ_FILE_TOO_LARGE';
}

/** The request's `Content-Length`, when it declares a valid one. */
function declaredLength(request: FastifyRequest): number | undefined {
  const header = request.headers['content-length'];
  const length = header === undefined ? Number.NaN : Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/** `/albums/:id/photos`: the album's `@Scopes` decide access to its photos. */
@ApiTags('photos')
@UmaResource(ALBUM, { param: 'id' })
@Controller('albums/:id/photos')
export class PhotosController {
  constructor(private readonly photos: PhotoService) {}

  @Post()
  @Scopes('album:edit')
  @RateLimitPolicy('costly')
  @ApiOperation({
    summary:
      "Upload a photo (multipart field `file`, at most 10 MB, JPEG/PNG/WebP/GIF), within the album owner's quotas",
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' } },
    },
  })
  @ApiCreatedResponse({ type: PhotoResponseDto })
  @ApiProblems(
    problem(400, 'validation', 'the field `file` is missing'),
    problem(400, 'empty-file', 'the file is empty'),
    problem(400, 'malformed-multipart', 'the multipart body cannot be read'),
    problem(413, 'file-too-large', 'the file is larger than 10 MB'),
    problem(
      409,
      'quota-exceeded',
      "the album holds as many photos as its owner's quota allows (`quota`: `photos-per-album`, with `usage` and `limit`)",
      { body: QuotaProblemDto },
    ),
    problem(
      413,
      'quota-exceeded',
      "the photo does not fit in the bytes left of the album owner's quota (`quota`: `bytes-per-owner`, with `usage` and `limit`); refused before the body is read when its `Content-Length` says so",
      { body: QuotaProblemDto },
    ),
    problem(415, 'multipart-required', 'the body is not multipart/form-data'),
    problem(415, 'unsupported-image-type', 'the bytes are not JPEG, PNG, WebP or GIF'),
  )
  async upload(
    @ResolvedResource() album: ProtectedResource<AlbumRecord>,
    @Req() request: FastifyRequest,
  ): Promise<PhotoResponseDto> {
    if (!request.isMultipart()) {
      throw new ProblemException({
        status: 415,
        code: 'multipart-required',
        detail: 'Send the photo as multipart/form-data in a field named file.',
      });
    }
    // An editor's upload counts against the album owner's quotas.
    const target = { albumId: album.entity.album.id, ownerId: album.ownerId };
    const room = await this.photos.admit(target, declaredLength(request));
    // Read no further than the owner's room: more bytes would not fit.
    let part: Awaited<ReturnType<FastifyRequest['file']>>;
    try {
      part = await request.file({ limits: { fileSize: room.maxBytes, files: 1 } });
    } catch {
      throw malformedMultipart();
    }
    if (part === undefined) {
      throw validationProblem([{ field: 'file', message: 'file is required' }]);
    }
    let bytes: Buffer;
    try {
      bytes = await part.toBuffer();
    } catch (error) {
      if (isFileTooLarge(error) && room.maxBytes < MAX_PHOTO_BYTES) {
        throw quotaExceeded(room.overflow, true);
      }
      if (isFileTooLarge(error)) {
        throw new ProblemException({
          status: 413,
          code: 'file-too-large',
          detail: `The file is larger than ${MAX_PHOTO_BYTES / (1024 * 1024)} MB.`,
        });
      }
      throw malformedMultipart();
    }
    if (part.fieldname !== 'file') {
      throw validationProblem([
        {
          field: 'file',
          message: `file is required (got a field named ${part.fieldname.slice(0, 50)})`,
        },
      ]);
    }
    return this.photos.add(target, part.filename, bytes);
  }

  @Get()
  @Scopes('album:view')
  @ApiOperation({ summary: "An album's photos, oldest first" })
  @ApiOkResponse({ type: [PhotoResponseDto] })
  list(@Param('id') albumId: string): Promise<PhotoResponseDto[]> {
    return this.photos.list(albumId);
  }

  @Get(':photoId/content')
  @Scopes('album:view')
  @ApiOperation({ summary: "A photo's bytes, with their content type" })
  @ApiProduces('image/jpeg', 'image/png', 'image/gif', 'image/webp')
  @ApiOkResponse({
    description: "The photo's bytes, with `ETag` (SHA-256) and `Cache-Control: no-store`",
    content: Object.fromEntries(
      ['image/jpeg', 'image/png', 'image/gif', 'image/webp'].map((type) => [
        type,
        { schema: { type: 'string', format: 'binary' } },
      ]),
    ),
  })
  @ApiProblems(photoIdMalformed, photoNotFound)
  async content(
    @Param('id') albumId: string,
    @Param('photoId', photoIdPipe) photoId: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { photo, bytes } = await this.photos.content(albumId, photoId);
    await reply
      .header('content-type', photo.contentType)
      .header('content-length', String(bytes.length))
      .header('etag', `"${photo.checksum}"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('content-disposition', contentDisposition(photo.fileName))
      .send(bytes);
  }

  @Delete(':photoId')
  @HttpCode(204)
  @Scopes('album:edit')
  @ApiOperation({ summary: 'Delete a photo' })
  @ApiNoContentResponse()
  @ApiProblems(photoIdMalformed, photoNotFound)
  remove(
    @Param('id') albumId: string,
    @Param('photoId', photoIdPipe) photoId: string,
  ): Promise<void> {
    return this.photos.remove(albumId, photoId);
  }
}
