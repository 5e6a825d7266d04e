import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../http/public.decorator.ts';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness.ts';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(@Inject(READINESS_CHECKS) private readonly checks: readonly ReadinessCheck[]) {}

  @Get('live')
  @ApiOperation({ summary: 'The process is up' })
  live(): { status: 'up' } {
    return { status: 'up' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'The database is reachable and Keycloak discovery is loaded' })
  async ready(
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ status: 'up' | 'down'; checks: Record<string, 'up' | 'down'> }> {
    const results = await Promise.all(
      this.checks.map(
        async (check) => [check.name, await check.isReady().catch(() => false)] as const,
      ),
    );
    const checks = Object.fromEntries(
      results.map(([name, ok]) => [name, ok ? 'up' : 'down'] as const),
    );
    const up = results.every(([, ok]) => ok);
    void reply.status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: up ? 'up' : 'down', checks };
  }
}
