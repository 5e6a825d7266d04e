import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'photoz:public';

/** Opts a route (or controller) out of the global deny-by-default authentication guard. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
