import { Controller, Get, HttpCode, Logger, Param, Post, Query } from '@nestjs/common';
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
import { UmaOutboxRepository } from './uma-outbox.repository.ts';
import { UmaOutboxWriter } from './uma-outbox.writer.ts';

class ParkedEventDto {
  @ApiProperty() id: string;
  @ApiProperty() entityType: string;
  @ApiProperty() entityId: string;
  @ApiProperty({ enum: ['upsert', 'delete'] }) operation: string;
  @ApiProperty() attempts: number;
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty({
    description: 'Later events of the same entity that wait until this one is retried',
  })
  blocking: number;
}

/** The answer of `GET /admin/uma/outbox`. */
export class OutboxStatusDto {
  @ApiProperty({ description: 'Events not delivered to Keycloak yet (blocked ones included)' })
  pending: number;
  @ApiProperty({
    description: 'Pending events whose next attempt is due and that no parked event holds back',
  })
  due: number;
  @ApiProperty({ description: 'Pending events held back by a parked event of their entity' })
  blocked: number;
  @ApiProperty({ description: 'Events set aside after repeated failures' }) parked: number;
  @ApiProperty({ type: Number, nullable: true }) oldestPendingAgeSeconds: number | null;
  @ApiProperty({ type: [ParkedEventDto] }) parkedEvents: ParkedEventDto[];
}

/** The outbox backlog and its parked events, for operators (realm role `admin`). */
@ApiTags('admin')
@Roles('admin')
@Controller('admin/uma/outbox')
export class UmaOutboxController {
  private readonly logger = new Logger(UmaOutboxController.name);

  constructor(
    private readonly outbox: UmaOutboxRepository,
    private readonly writer: UmaOutboxWriter,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Outbox backlog and parked events' })
  @ApiOkResponse({ type: OutboxStatusDto })
  @ApiQuery({
    name: 'limit',
    required: false,
    type: Number,
    description: 'How many parked events to list, 1 to 500 (default 50)',
  })
  @ApiProblems(400)
  async status(@Query('limit') limit?: string): Promise<OutboxStatusDto> {
    const max = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(max) || max < 1 || max > 500) {
      throw validationProblem([
        { field: 'limit', message: 'limit must be a whole number from 1 to 500' },
      ]);
    }
    const [backlog, parked] = await Promise.all([this.outbox.backlog(), this.outbox.parked(max)]);
    return {
      ...backlog,
      parkedEvents: parked.map((event) => ({
        id: event.id,
        entityType: event.entityType,
        entityId: event.entityId,
        operation: event.operation,
        attempts: event.attempts,
        lastError: event.lastError,
        createdAt: event.createdAt.toISOString(),
        blocking: event.blocking,
      })),
    };
  }

  @Post(':eventId/retry')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  @ApiOperation({
    summary: 'Put a parked event back in line',
    description:
      'When a later event of the same entity exists, the parked event is dropped instead: the later one carries a newer state, and replaying the older one after it would undo it.',
  })
  async retry(@Param('eventId') eventId: string): Promise<void> {
    if (!/^\d{1,18}$/.test(eventId)) {
      throw validationProblem([
        { field: 'eventId', message: 'eventId must be an outbox event number' },
      ]);
    }
    // The writer wakes the relay either way: the entity's queue can move now.
    const outcome = await this.writer.retryParked(eventId);
    if (outcome === undefined) {
      throw notFoundProblem(`No parked outbox event ${eventId}`);
    }
    if (outcome === 'superseded') {
      this.logger.log(`Dropped parked outbox event ${eventId}: a later event supersedes it`);
    }
  }
}
