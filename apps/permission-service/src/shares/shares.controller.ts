import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '@app/auth';
import { PutShareDto, ShareDto, SharedAlbumDto } from './share.dto.ts';
import { ShareService } from './share.service.ts';

@ApiTags('shares')
@Controller()
export class SharesController {
  constructor(private readonly shares: ShareService) {}

  @Get('albums/:albumId/shares')
  @ApiOperation({ summary: 'Who holds which scopes on the album (owner only)' })
  @ApiOkResponse({ type: [ShareDto] })
  list(
    @CurrentPrincipal() caller: Principal,
    @Param('albumId') albumId: string,
  ): Promise<ShareDto[]> {
    return this.shares.list(caller, albumId);
  }

  @Put('albums/:albumId/shares/:username')
  @ApiOperation({
    summary:
      'Share the album with a person or a partner: the body is the full set of scopes to hold',
  })
  @ApiOkResponse({ type: ShareDto })
  put(
    @CurrentPrincipal() caller: Principal,
    @Param('albumId') albumId: string,
    @Param('username') username: string,
    @Body() input: PutShareDto,
  ): Promise<ShareDto> {
    return this.shares.put(caller, albumId, username, input.scopes);
  }

  @Delete('albums/:albumId/shares/:username')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke everything the user holds on the album, effective at once' })
  @ApiNoContentResponse()
  remove(
    @CurrentPrincipal() caller: Principal,
    @Param('albumId') albumId: string,
    @Param('username') username: string,
  ): Promise<void> {
    return this.shares.remove(caller, albumId, username);
  }

  @Get('shared-with-me')
  @ApiOperation({ summary: 'Albums shared with the caller, with the scopes held' })
  @ApiOkResponse({ type: [SharedAlbumDto] })
  sharedWithMe(@CurrentPrincipal() caller: Principal): Promise<SharedAlbumDto[]> {
    return this.shares.sharedWith(caller);
  }
}
