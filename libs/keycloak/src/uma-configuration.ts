import { z } from 'zod';

const umaConfigurationSchema = z.object({
  issuer: z.string().min(1),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
  introspection_endpoint: z.url().optional(),
  resource_registration_endpoint: z.url(),
  permission_endpoint: z.url(),
  policy_endpoint: z.url().optional(),
});

/** The realm's `.well-known/uma2-configuration`: OIDC endpoints plus the UMA protection API. */
export type UmaConfiguration = z.infer<typeof umaConfigurationSchema>;

export function parseUmaConfiguration(body: unknown): UmaConfiguration {
  return umaConfigurationSchema.parse(body);
}
