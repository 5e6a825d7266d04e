import { SetMetadata } from '@nestjs/common';

export const ROLES_KEY = 'photoz:roles';

/** Realm roles the caller must all hold, e.g. `@Roles('admin')`. */
export const Roles = (...roles: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES_KEY, roles);
