import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, Matches } from 'class-validator';
import { OmittedOr } from '@app/common';
import { NOTIFICATION_KINDS, type NotificationKind } from './notification-kind.ts';

export class NotificationDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: NOTIFICATION_KINDS }) kind: NotificationKind;
  @ApiProperty({ format: 'uuid' }) albumId: string;
  @ApiProperty() albumName: string;
  @ApiProperty({ description: 'Who did it: the requester, or the owner who answered or shared' })
  actorUsername: string;
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty({ type: String, nullable: true, description: "The requester's message, if any" })
  message: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) readAt: string | null;
}

export class NotificationPageDto {
  @ApiProperty({ type: [NotificationDto] }) items: NotificationDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
  @ApiProperty({ description: "How many of the caller's notifications are unread" })
  unread: number;
}

export class MarkNotificationsReadDto {
  @ApiPropertyOptional({ type: [String], maxItems: 100, description: 'These notifications' })
  @OmittedOr()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(/^\d{1,18}$/, { each: true, message: 'each id must be a notification id' })
  ids?: string[];

  @ApiPropertyOptional({ description: 'Every notification of the caller' })
  @OmittedOr()
  @IsBoolean()
  all?: boolean;
}

export class NotificationSettingsDto {
  @ApiProperty({ description: 'Whether notifications are also sent by email' })
  @IsBoolean()
  email: boolean;
}
