import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { HealthController } from './health.controller.ts';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness.ts';

/** `GET /health/live` and `GET /health/ready`, the latter running the given checks. */
@Module({})
export class HealthModule {
  static forRoot(checks: readonly Type<ReadinessCheck>[]): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [
        ...checks,
        {
          provide: READINESS_CHECKS,
          useFactory: (...instances: ReadinessCheck[]) => instances,
          inject: [...checks],
        },
      ],
    };
  }
}
