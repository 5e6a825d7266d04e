import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiProblems } from '@app/common';

export const ROLES_KEY = 'photoz:roles';

/** Realm roles the caller must all hold, e.g. `@Roles('admin')`. */
export const Roles = (...roles: string[]): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(ROLES_KEY, roles), ApiProblems(403));
