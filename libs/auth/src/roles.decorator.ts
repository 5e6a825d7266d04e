import { Reflector } from '@nestjs/core';

/** Realm roles the caller must all hold, e.g. `@Roles('admin')`. */
export const Roles = Reflector.createDecorator<string[]>();
