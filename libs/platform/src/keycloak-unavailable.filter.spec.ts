import { Controller, Get, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceConfig } from '@app/common';
import { KeycloakError, KeycloakUnavailableError } from '@app/keycloak';
import {
  KEYCLOAK_UNAVAILABLE_DETAIL,
  KeycloakUnavailableFilter,
} from './keycloak-unavailable.filter.ts';
import { createServiceApp } from './run-service.ts';

@Controller()
class FailingController {
  @Get('unreachable')
  unreachable(): never {
    throw new KeycloakUnavailableError('find resources', new Error('ECONNREFUSED'));
  }

  @Get('refused')
  refused(): never {
    throw new KeycloakError('find resources', 400, 'invalid_request', undefined);
  }
}

@Module({ controllers: [FailingController] })
class FailingModule {}

describe(KeycloakUnavailableFilter.name, () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    // The real bootstrap of every service, so that the test covers where and in which order the
    // filter is registered, not only what it renders.
    app = await createServiceApp(
      {
        name: 'test',
        description: 'test',
        loadConfig: () => ({}) as ServiceConfig,
        module: () => ({ module: FailingModule }),
      },
      { http: { corsOrigins: [] } } as unknown as ServiceConfig,
      ['fatal'],
    );
    await app.init();
  });

  afterAll(async () => {
    await app.close();
  });

  it('answers an unreachable Keycloak with 503 authorization-server-unavailable and Retry-After', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/unreachable',
      headers: { 'x-request-id': 'req-1' },
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toEqual({
      type: 'urn:photoz:problem:authorization-server-unavailable',
      title: 'Service Unavailable',
      status: 503,
      detail: KEYCLOAK_UNAVAILABLE_DETAIL,
      instance: '/unreachable',
      correlationId: 'req-1',
    });
  });

  it('leaves every other error to the problem-details filter', async () => {
    const response = await app.inject({ method: 'GET', url: '/refused' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toMatchObject({ status: 500, detail: 'An unexpected error occurred.' });
  });
});
