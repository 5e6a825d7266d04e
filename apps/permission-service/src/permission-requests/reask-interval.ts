import { Inject, Injectable } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { ProblemDetailsDto, ProblemException, problem, retryAfterHeader } from '@app/common';
import { AuditRepository } from '../audit/audit.repository.ts';
import type { Party } from '../grants/grant-entry.ts';
import { REQUEST_CONDITIONS, type RequestConditions } from './request-conditions.ts';

/** A request refused because the owner denied the last one lately (`urn:photoz:problem:ask-again-later`). */
export class AskAgainLaterProblemDto extends ProblemDetailsDto {
  @ApiProperty({
    format: 'date-time',
    description: 'From when the requester may ask for this album again (also `Retry-After`)',
  })
  askAgainAt: string;
}

/** The OpenAPI description of the refusal. */
export const ASK_AGAIN_LATER = problem(
  429,
  'ask-again-later',
  'the owner denied your last request for this album lately: `Retry-After` says in how many seconds you may ask again',
  { headers: retryAfterHeader, body: AskAgainLaterProblemDto },
);

/**
 * How often a denied requester may ask again: not within `PERMISSION_REQUEST_REASK_SECONDS` of the
 * owner's denial of its request for the same album, so that an owner who said no is not asked the
 * same thing over and over. The denial is the album's audit trail's (written on every instance in
 * PostgreSQL): the interval holds while the latest event about the requester on the album is a
 * denial. A withdrawal, a share, an approval or a revocation since are not denials, so a requester
 * who withdrew may ask again at once, and one the owner shared with since is not held back.
 */
@Injectable()
export class ReaskInterval {
  constructor(
    @Inject(REQUEST_CONDITIONS) private readonly conditions: RequestConditions,
    private readonly audit: AuditRepository,
  ) {}

  /** Refuses with `429` and `Retry-After` when the requester may not ask for the album yet. */
  async check(albumId: string, requester: Pick<Party, 'id'>): Promise<void> {
    if (this.conditions.reaskSeconds === 0) {
      return;
    }
    const latest = await this.audit.latest(albumId, requester.id);
    if (latest?.action !== 'denied') {
      return;
    }
    const askAgainAt = new Date(latest.createdAt.getTime() + this.conditions.reaskSeconds * 1000);
    const seconds = Math.ceil((askAgainAt.getTime() - Date.now()) / 1000);
    if (seconds > 0) {
      throw new ProblemException({
        status: 429,
        code: 'ask-again-later',
        title: 'Ask again later',
        detail: `The owner denied your last request for this album. You may ask again from ${askAgainAt.toISOString()} (in ${seconds} s).`,
        extensions: { askAgainAt: askAgainAt.toISOString() },
        headers: { 'retry-after': String(seconds) },
      });
    }
  }
}
