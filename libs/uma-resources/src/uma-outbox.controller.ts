import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Roles } from '@app/auth';
import { notFoundProblem, validationProblem } from '@app/common';
import type { DataSource } from 'typeorm';
import { umaOutboxRepository } from './uma-outbox.repository.ts';

class ParkedEventDto {
  @ApiProperty() id: string;
  @ApiProperty() entityType: string;
  @ApiProperty() entityId: string;
  @ApiProperty({ enum: ['upsert', 'delete'] }) operation: string;
  @ApiProperty() attempts: number;
  @ApiPropertyOptional({ nullable: true }) lastError: string | null;
  @ApiProperty() createdAt: string;
}

export class OutboxStatusDto {
  @ApiProperty({ description: 'Events not delivered to Keycloak yet' }) pending: number;
  @ApiProperty({ description: 'Pending events whose next attempt is due' }) due: number;
  @ApiProperty({ description: 'Events set aside after repeated failures' }) parked: number;
  @ApiPropertyOptional({ nullable: true }) oldestPendingAgeSeconds: number | null;
  @ApiProperty({ type: [ParkedEventDto] }) parkedEvents: ParkedEventDto[];
}

/** The outbox backlog and its parked events, for operators (realm role `admin`). */
@ApiTags('admin')
@Roles('admin')
@Controller('admin/uma/outbox')
export class UmaOutboxController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get()
  @ApiOperation({ summary: 'Outbox backlog and parked events' })
  async status(@Query('limit') limit?: string): Promise<OutboxStatusDto> {
    const max = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(max) || max < 1 || max > 500) {
      throw validationProblem([
        { field: 'limit', message: 'limit must be a whole number from 1 to 500' },
      ]);
    }
    const [backlog, parked] = await Promise.all([
      umaOutboxRepository.backlog(this.dataSource),
      umaOutboxRepository.parked(this.dataSource, max),
    ]);
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
      })),
    };
  }

  @Post(':eventId/retry')
  @HttpCode(204)
  @ApiOperation({ summary: 'Put a parked event back in line' })
  async retry(@Param('eventId') eventId: string): Promise<void> {
    if (!/^\d{1,18}$/.test(eventId)) {
      throw validationProblem([
        { field: 'eventId', message: 'eventId must be an outbox event number' },
      ]);
    }
    if (!(await umaOutboxRepository.unpark(this.dataSource, eventId))) {
      throw notFoundProblem(`No parked outbox event ${eventId}`);
    }
  }
}
