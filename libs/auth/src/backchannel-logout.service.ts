import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '@app/common';
import { log } from '@app/observability';
import { AUTH_OPTIONS, type AuthOptions } from './auth.options.ts';
import { EndedSessions } from './ended-sessions.ts';
import { JwksKeyStore } from './jwks-key-store.ts';
import { InvalidLogoutTokenError, verifyLogoutToken } from './logout-token.ts';

const logoutLog = log.child({ component: 'backchannel-logout' });

/** The `400` for a refused logout token (§2.8), saying why and never echoing the token. */
export function invalidLogoutToken(description: string): ProblemException {
  return new ProblemException({
    status: 400,
    code: 'invalid-logout-token',
    title: 'Invalid logout token',
    detail: `The logout token was refused: ${description}. No session was ended.`,
    headers: { 'cache-control': 'no-store' },
  });
}

/**
 * OpenID Connect Back-Channel Logout from Keycloak: a valid logout token ends its session (or,
 * without `sid`, every session of its subject) on every instance of every service.
 */
@Injectable()
export class BackchannelLogoutService {
  constructor(
    @Inject(AUTH_OPTIONS) private readonly options: AuthOptions,
    private readonly keys: JwksKeyStore,
    private readonly sessions: EndedSessions,
  ) {}

  async logout(logoutToken: string): Promise<void> {
    let ended;
    try {
      ended = await verifyLogoutToken(
        logoutToken,
        {
          issuer: this.options.issuer,
          audiences: this.options.backchannelLogoutClients,
          clockToleranceSeconds: this.options.clockToleranceSeconds,
        },
        this.keys,
      );
    } catch (error) {
      if (error instanceof InvalidLogoutTokenError) {
        logoutLog.warn(
          { event: 'backchannel-logout.refused', reason: error.description },
          'logout token refused',
        );
        throw invalidLogoutToken(error.description);
      }
      throw error;
    }
    await this.sessions.end(ended);
  }
}
