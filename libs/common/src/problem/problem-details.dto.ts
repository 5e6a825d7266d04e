import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One invalid field of a request (`errors[]` of a `validation` problem). */
export class FieldErrorDto {
  @ApiProperty({ example: 'name' }) field: string;
  @ApiProperty({ example: 'name must not be empty' }) message: string;
}

/**
 * The body of every error (RFC 9457 problem details, `application/problem+json`), as the global
 * filter renders it. Extension members depend on `type`.
 */
export class ProblemDetailsDto {
  @ApiProperty({
    description: '`urn:photoz:problem:<code>`, or `about:blank` when the status says it all',
    example: 'urn:photoz:problem:not-found',
  })
  type: string;

  @ApiProperty({ example: 'Not Found' }) title: string;
  @ApiProperty({ minimum: 400, maximum: 599, example: 404 }) status: number;
  @ApiPropertyOptional({ description: 'What went wrong, for a person' }) detail?: string;
  @ApiProperty({ description: 'The request path', example: '/albums/3f6c…' }) instance: string;

  @ApiProperty({ description: 'Also the `X-Request-Id` response header' })
  correlationId: string;

  @ApiPropertyOptional({
    type: [FieldErrorDto],
    description: 'Each invalid field (type `urn:photoz:problem:validation`)',
  })
  errors?: FieldErrorDto[];
}

/** The body of the UMA challenge (`urn:photoz:problem:uma-ticket`): what `WWW-Authenticate` says. */
export class UmaTicketProblemDto extends ProblemDetailsDto {
  @ApiProperty({ description: 'The permission ticket to exchange at `as_uri` for an RPT' })
  ticket: string;

  @ApiProperty({ description: 'The authorization server (the realm issuer)' })
  as_uri: string;

  @ApiProperty({ type: [String], description: 'The scopes the route needs' })
  scopes: string[];
}

/** A refusal by a per-caller rate limit (`urn:photoz:problem:rate-limited`). */
export class RateLimitedProblemDto extends ProblemDetailsDto {
  @ApiProperty({
    type: [String],
    description: 'The policies the request went over, as named in `RateLimit-Policy`',
    example: ['user-costly'],
  })
  'violated-policies': string[];
}

/** A refusal by an owner's quota (`urn:photoz:problem:quota-exceeded`). */
export class QuotaProblemDto extends ProblemDetailsDto {
  @ApiProperty({
    enum: ['albums-per-owner', 'photos-per-album', 'bytes-per-owner'],
    description: 'Which quota',
  })
  quota: string;

  @ApiProperty({ description: 'What the owner uses now, in the quota’s unit' }) usage: number;
  @ApiProperty({ description: 'The quota' }) limit: number;
}
