/** Route metadata of `@Scopes` and `@UmaResource`, read by the guards. */
export const SCOPES_KEY = 'photoz:scopes';
export const UMA_RESOURCE_KEY = 'photoz:uma-resource';

/** Which route parameter names the protected resource, and of which kind. */
export interface UmaResourceTarget {
  readonly kind: string;
  readonly param: string;
}
