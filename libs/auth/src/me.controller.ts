import { Controller, Get } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal } from './current-principal.decorator.ts';
import type { Principal } from './principal.ts';

class RptPermissionDto {
  @ApiProperty() resourceId: string;
  @ApiPropertyOptional() resourceName?: string;
  @ApiProperty({ type: [String] }) scopes: string[];
}

export class PrincipalResponseDto {
  @ApiProperty({ description: 'User id (`sub`)' }) subject: string;
  @ApiProperty() username: string;
  @ApiProperty({ description: 'Client the token was issued to (`azp`)' }) clientId: string;
  @ApiProperty({ description: 'A partner application calling with its service account' })
  partner: boolean;
  @ApiProperty({ type: [String] }) realmRoles: string[];
  @ApiPropertyOptional({
    type: [RptPermissionDto],
    description: 'Present when the token is an RPT',
  })
  permissions?: RptPermissionDto[];
}

export function toPrincipalResponse(principal: Principal): PrincipalResponseDto {
  return {
    subject: principal.subject,
    username: principal.username,
    clientId: principal.clientId,
    partner: principal.partner,
    realmRoles: [...principal.realmRoles],
    ...(principal.permissions === undefined
      ? {}
      : {
          permissions: principal.permissions.map((permission) => ({
            resourceId: permission.resourceId,
            resourceName: permission.resourceName,
            scopes: [...permission.scopes],
          })),
        }),
  };
}

@ApiTags('identity')
@Controller('me')
export class MeController {
  @Get()
  @ApiOperation({ summary: 'The caller, as proven by the access token' })
  @ApiOkResponse({ type: PrincipalResponseDto })
  me(@CurrentPrincipal() principal: Principal): PrincipalResponseDto {
    return toPrincipalResponse(principal);
  }
}
