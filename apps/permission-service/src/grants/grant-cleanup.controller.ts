import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { Roles } from '@app/auth';
import { ApiProblems, notFoundProblem, validationProblem } from '@app/common';
import { GrantCleanupRepository } from './grant-cleanup.repository.ts';

class ParkedCleanupDto {
  @ApiProperty() id: string;
  @ApiProperty() albumId: string;
  @ApiProperty() resourceId: string;
  @ApiProperty({ description: "The party's token subject" }) subject: string;
  @ApiProperty() username: string;
  @ApiProperty() attempts: number;
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty() createdAt: string;
}

/** The answer of `GET /admin/grants/cleanups`. */
export class CleanupStatusDto {
  @ApiProperty({ description: 'Revocations whose Keycloak side the relay still retries' })
  pending: number;
  @ApiProperty({ description: 'Clean-ups set aside after repeated failures' }) parked: number;
  @ApiProperty({ type: Number, nullable: true }) oldestPendingAgeSeconds: number | null;
  @ApiProperty({ type: [ParkedCleanupDto] }) parkedCleanups: ParkedCleanupDto[];
}

/**
 * Revocations in force whose Keycloak side is not done yet, for operators (realm role `admin`):
 * the backlog, the parked clean-ups, and putting one back in line.
 */
@ApiTags('admin')
@Roles('admin')
@Controller('admin/grants/cleanups')
export class GrantCleanupController {
  constructor(private readonly cleanups: GrantCleanupRepository) {}

  @Get()
  @ApiOperation({ summary: 'Clean-up backlog and parked clean-ups' })
  @ApiOkResponse({ type: CleanupStatusDto })
  @ApiQuery({
    name: 'limit',
    required: false,
    type: Number,
    description: 'How many parked clean-ups to list, 1 to 500 (default 50)',
  })
  @ApiProblems(400)
  async status(@Query('limit') limit?: string): Promise<CleanupStatusDto> {
    const max = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(max) || max < 1 || max > 500) {
      throw validationProblem([
        { field: 'limit', message: 'limit must be a whole number from 1 to 500' },
      ]);
    }
    const [backlog, parked] = await Promise.all([
      this.cleanups.backlog(),
      this.cleanups.parked(max),
    ]);
    return {
      ...backlog,
      parkedCleanups: parked.map((job) => ({
        id: job.id,
        albumId: job.albumId,
        resourceId: job.resourceId,
        subject: job.party.subject,
        username: job.party.username,
        attempts: job.attempts,
        lastError: job.lastError,
        createdAt: job.createdAt.toISOString(),
      })),
    };
  }

  @Post(':cleanupId/retry')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  @ApiOperation({
    summary: 'Put a parked clean-up back in line',
    description:
      'The clean-up is recomputed from the grant record when it runs, so a retry never undoes a share made since.',
  })
  async retry(@Param('cleanupId') cleanupId: string): Promise<void> {
    if (!/^\d{1,18}$/.test(cleanupId)) {
      throw validationProblem([
        { field: 'cleanupId', message: 'cleanupId must be a clean-up number' },
      ]);
    }
    if (!(await this.cleanups.retry(cleanupId))) {
      throw notFoundProblem(`No parked clean-up ${cleanupId}`);
    }
  }
}
