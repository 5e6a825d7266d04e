/**
 * `@photoz/nest-common`: the parts of libs/common and libs/observability that the published
 * packages (`@photoz/keycloak`, `@photoz/nest-uma`, `@photoz/nest-uma-resources`) use, published
 * once so that an application installing several of them shares one copy: one `ProblemException`
 * class for the filter's `instanceof`, one metrics registry, one logger.
 *
 * The package build (scripts/packages.ts) compiles the published libraries against this file in
 * place of the monorepo's common and observability libraries: a library that starts using another
 * part of them fails that build until the part is exported here.
 */
export * from '../../../libs/common/src/concurrency.ts';
export * from '../../../libs/common/src/database/prepared.ts';
export * from '../../../libs/common/src/http/public.decorator.ts';
export * from '../../../libs/common/src/problem/api-problems.ts';
export * from '../../../libs/common/src/problem/openapi-document.ts';
export * from '../../../libs/common/src/problem/problem-details.dto.ts';
export * from '../../../libs/common/src/problem/problem-details.filter.ts';
export * from '../../../libs/common/src/problem/problem-details.ts';
export * from '../../../libs/common/src/validation/uuid.ts';
export * from '../../../libs/observability/src/logger.ts';
export * from '../../../libs/observability/src/metrics.ts';
