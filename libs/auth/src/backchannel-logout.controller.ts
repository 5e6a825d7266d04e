import { Body, Controller, Header, HttpCode, Post } from '@nestjs/common';
import { ApiConsumes, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { ApiProblems, problem, Public } from '@app/common';
import { BackchannelLogoutService } from './backchannel-logout.service.ts';

/** Where Keycloak sends logout tokens (the clients' `backchannel.logout.url`). */
export const BACKCHANNEL_LOGOUT_PATH = '/auth/backchannel-logout';

export class BackchannelLogoutDto {
  @ApiProperty({ description: 'The logout token (a JWS signed by the realm)' })
  @IsString()
  @MaxLength(16_384)
  logout_token: string;
}

/**
 * OpenID Connect Back-Channel Logout 1.0, called by Keycloak when a session ends (logout at its
 * end-session endpoint, an administrator signing a user out, a session deleted). Public: the
 * logout token, signed by the realm, is the credential. One service hosts it; every instance of
 * every service honours what it records.
 */
@ApiTags('identity')
@Public()
@Controller('auth')
export class BackchannelLogoutController {
  constructor(private readonly logouts: BackchannelLogoutService) {}

  @Post('backchannel-logout')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary:
      "Keycloak's back-channel logout: the session the logout token names ends on every instance of both services",
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOkResponse({ description: 'The session ended (again, for a replayed token: no change)' })
  @ApiProblems(
    problem(400, 'validation', '`logout_token` is missing'),
    problem(
      400,
      'invalid-logout-token',
      'the logout token is not one the realm signed for our clients (the reason is in `detail`); nothing ended',
    ),
    413,
    415,
  )
  async logout(@Body() body: BackchannelLogoutDto): Promise<void> {
    await this.logouts.logout(body.logout_token);
  }
}
