import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsIn, IsInt, IsISO8601, IsOptional, Max, Min } from 'class-validator';
import { ALBUM_SCOPES, OmittedOr } from '@app/common';
import { IsAlbumScopeSet } from '../scopes/album-scope-set.validator.ts';

export const INVITATION_LINK_STATES = ['active', 'expired', 'used-up'] as const;
export type InvitationLinkState = (typeof INVITATION_LINK_STATES)[number];

export class CreateInvitationLinkDto {
  @ApiProperty({
    enum: ALBUM_SCOPES,
    isArray: true,
    description: 'The scopes whoever redeems the link is granted (added to what they hold)',
  })
  @IsAlbumScopeSet()
  scopes: string[];

  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'When the link stops working: in the future, at most `INVITATION_LINK_MAX_DURATION_DAYS` ahead (default: never)',
  })
  @OmittedOr()
  @IsISO8601({ strict: true }, { message: 'expiresAt must be an ISO 8601 date and time' })
  expiresAt?: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 1000,
    description: 'How many redemptions the link allows (default: no limit)',
  })
  @OmittedOr()
  @IsInt({ message: 'maxUses must be a whole number' })
  @Min(1, { message: 'maxUses must be at least 1' })
  @Max(1000, { message: 'maxUses must be at most 1000' })
  maxUses?: number;
}

export class InvitationLinkDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) albumId: string;
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt: string | null;
  @ApiProperty({ type: Number, nullable: true }) maxUses: number | null;
  @ApiProperty({ description: 'Redemptions so far' }) uses: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ enum: INVITATION_LINK_STATES }) state: InvitationLinkState;
}

export class CreatedInvitationLinkDto extends InvitationLinkDto {
  @ApiProperty({
    description:
      "The link's secret (43 base64url characters): shown in this answer only, never again",
  })
  token: string;

  @ApiProperty({
    description: "The link to hand out: the web app's `/invite` page, the secret in the fragment",
  })
  url: string;
}

export class InvitationLinkPageDto {
  @ApiProperty({ type: [InvitationLinkDto] }) items: InvitationLinkDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class DeleteInvitationLinkQueryDto {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'false',
    description:
      'Also revoke everything each person or partner who redeemed the link holds on the album',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'revokeShares must be true or false' })
  revokeShares?: 'true' | 'false';
}

export class RedeemInvitationLinkDto {
  /**
   * Checked by the service rather than by the validation pipe: a token of any other shape is
   * answered, and counted, as a link that does not exist.
   */
  @ApiProperty({
    type: String,
    description: "The link's secret (the fragment of its URL)",
    minLength: 43,
    maxLength: 43,
    pattern: '^[A-Za-z0-9_-]{43}$',
  })
  @Allow()
  token: unknown;
}

export class RedeemedInvitationDto {
  @ApiProperty({ format: 'uuid' }) albumId: string;
  @ApiProperty() albumName: string;
  @ApiProperty() ownerUsername: string;
  @ApiProperty({ type: [String], description: 'What the caller holds on the album now' })
  scopes: string[];
}
