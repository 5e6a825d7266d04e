import { UmaResourceResolvers } from '@app/auth';
import { describe, expect, it } from 'vitest';
import { UmaResourceTypes } from './uma-resource-types.ts';
import type { UmaResourceType } from './uma-resources.options.ts';

const noteType = {
  entityType: 'note',
  resourceType: 'urn:test:note',
  scopes: ['note:view'],
} as unknown as UmaResourceType;

describe(UmaResourceTypes.name, () => {
  it('makes a registered kind known to the outbox and to the @Scopes guard', () => {
    const resolvers = new UmaResourceResolvers();
    const types = new UmaResourceTypes(resolvers);
    types.register(noteType);
    expect(types.of('note')).toBe(noteType);
    expect(resolvers.get('note')).toBe(noteType);
  });

  it('refuses a kind registered twice', () => {
    const types = new UmaResourceTypes(new UmaResourceResolvers());
    types.register(noteType);
    expect(() => types.register({ ...noteType })).toThrow('registered twice');
  });

  it('refuses a kind the guard already resolves otherwise', () => {
    const resolvers = new UmaResourceResolvers();
    resolvers.register('note', noteType);
    expect(() => new UmaResourceTypes(resolvers).register(noteType)).toThrow('registered twice');
  });

  it('names a kind nobody registered', () => {
    expect(() => new UmaResourceTypes(new UmaResourceResolvers()).of('photo')).toThrow(
      'No UMA resource type registered for entity type photo',
    );
  });
});
