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
import { EmailOutboxRepository } from './email-outbox.repository.ts';

class ParkedEmailDto {
  @ApiProperty() id: string;
  @ApiProperty() notificationId: string;
  @ApiProperty({ description: 'Refusals by the mail server' }) attempts: number;
  @ApiProperty({ description: 'Failed attempts of every kind' }) failures: number;
  @ApiProperty({ type: String, nullable: true, description: 'Error and SMTP reply codes' })
  lastError: string | null;
  @ApiProperty() createdAt: string;
}

/** The answer of `GET /admin/notifications/emails`. */
export class EmailOutboxStatusDto {
  @ApiProperty({ description: 'Emails the relay still sends or retries' }) pending: number;
  @ApiProperty({ description: 'Emails set aside after repeated refusals' }) parked: number;
  @ApiProperty({ type: Number, nullable: true }) oldestPendingAgeSeconds: number | null;
  @ApiProperty({ type: [ParkedEmailDto] }) parkedEmails: ParkedEmailDto[];
}

/** The notification email outbox, for operators (realm role `admin`): backlog, parked, retry. */
@ApiTags('admin')
@Roles('admin')
@Controller('admin/notifications/emails')
export class EmailOutboxController {
  constructor(private readonly outbox: EmailOutboxRepository) {}

  @Get()
  @ApiOperation({ summary: 'Notification email backlog and parked emails' })
  @ApiOkResponse({ type: EmailOutboxStatusDto })
  @ApiQuery({
    name: 'limit',
    required: false,
    type: Number,
    description: 'How many parked emails to list, 1 to 500 (default 50)',
  })
  @ApiProblems(400)
  async status(@Query('limit') limit?: string): Promise<EmailOutboxStatusDto> {
    const max = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(max) || max < 1 || max > 500) {
      throw validationProblem([
        { field: 'limit', message: 'limit must be a whole number from 1 to 500' },
      ]);
    }
    const [backlog, parked] = await Promise.all([this.outbox.backlog(), this.outbox.parked(max)]);
    return {
      ...backlog,
      parkedEmails: parked.map((email) => ({
        id: email.id,
        notificationId: email.notificationId,
        attempts: email.attempts,
        failures: email.failures,
        lastError: email.lastError,
        createdAt: email.createdAt.toISOString(),
      })),
    };
  }

  @Post(':emailId/retry')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  @ApiOperation({ summary: 'Put a parked notification email back in line' })
  async retry(@Param('emailId') emailId: string): Promise<void> {
    if (!/^\d{1,18}$/.test(emailId)) {
      throw validationProblem([{ field: 'emailId', message: 'emailId must be an email number' }]);
    }
    if (!(await this.outbox.retry(emailId))) {
      throw notFoundProblem(`No parked email ${emailId}`);
    }
  }
}
