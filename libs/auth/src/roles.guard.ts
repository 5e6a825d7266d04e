import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ProblemException } from '@app/common';
import { principalOf } from './current-principal.decorator.ts';
import { ROLES_KEY } from './roles.decorator.ts';

/** Enforces `@Roles(...)`: the caller must hold every listed realm role, else `403`. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<string[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (required === undefined || required.length === 0) {
      return true;
    }
    const principal = principalOf(context.switchToHttp().getRequest());
    if (principal !== undefined && required.every((role) => principal.realmRoles.includes(role))) {
      return true;
    }
    throw new ProblemException({
      status: 403,
      code: 'forbidden',
      detail: `This route needs the realm role${required.length === 1 ? '' : 's'} ${required.join(', ')}.`,
    });
  }
}
