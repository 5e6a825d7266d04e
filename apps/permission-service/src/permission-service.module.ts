import { type DynamicModule, Module } from '@nestjs/common';
import { GrantRecordRepository } from '@app/grant-record';
import { PlatformModule } from '@app/platform';
import { AccessPolicy } from './access-policy/access-policy.ts';
import { ALBUM_DEPLOYMENT, AlbumDirectory } from './albums/album-directory.ts';
import { AuditEventEntity } from './audit/audit-event.entity.ts';
import { AuditController } from './audit/audit.controller.ts';
import { AuditRepository } from './audit/audit.repository.ts';
import { PermissionFlows } from './audit/permission-flows.ts';
import { type PermissionServiceConfig } from './config.ts';
import { PERMISSION_SERVICE_SCHEMA } from './database/schema.ts';
import { GrantCleanupController } from './grants/grant-cleanup.controller.ts';
import { GrantCleanupMetrics } from './grants/grant-cleanup.metrics.ts';
import { GrantCleanupRelay, GRANT_CLEANUP_OPTIONS } from './grants/grant-cleanup.relay.ts';
import { GrantCleanupRepository } from './grants/grant-cleanup.repository.ts';
import { EndedGrants } from './grants/ended-grants.ts';
import { ExpiredGrants } from './grants/expired-grants.ts';
import { GrantDirectory } from './grants/grant-directory.ts';
import { GRANT_EXPIRY_SWEEP_OPTIONS, GrantExpirySweep } from './grants/grant-expiry.sweep.ts';
import { GrantReconciler } from './grants/grant-reconciler.ts';
import { GrantService } from './grants/grant.service.ts';
import { INVITATION_LINK_OPTIONS } from './invitation-links/invitation-link.options.ts';
import { InvitationLinkRepository } from './invitation-links/invitation-link.repository.ts';
import { InvitationLinkService } from './invitation-links/invitation-link.service.ts';
import { InvitationLinksController } from './invitation-links/invitation-links.controller.ts';
import { InvitationRedemptionService } from './invitation-links/invitation-redemption.service.ts';
import { RedeemFailureRepository } from './invitation-links/redeem-failure.repository.ts';
import { KeycloakCleanup } from './grants/keycloak-cleanup.ts';
import { KeycloakGrants } from './grants/keycloak-grants.ts';
import { KEYCLOAK_WATCH_OPTIONS, KeycloakWatch } from './grants/keycloak-watch.ts';
import { KeycloakWatchRepository } from './grants/keycloak-watch.repository.ts';
import { PartyDirectory } from './grants/party-directory.ts';
import { PartyRecordRepository } from './grants/party-record.repository.ts';
import { PendingRequestImport } from './permission-requests/pending-request.import.ts';
import { PendingRequestRepository } from './permission-requests/pending-request.repository.ts';
import { RequestListRepository } from './permission-requests/request-list.repository.ts';
import { ShareListRepository } from './shares/share-list.repository.ts';
import { PermissionAnswerService } from './permission-requests/permission-answer.service.ts';
import { PermissionRequestLists } from './permission-requests/permission-request-lists.service.ts';
import {
  PermissionRequestService,
  REQUEST_REPEAT_SECONDS,
} from './permission-requests/permission-request.service.ts';
import { PermissionRequestSubmitter } from './permission-requests/permission-request.submitter.ts';
import { PermissionRequestsController } from './permission-requests/permission-requests.controller.ts';
import { RecentRequestRepository } from './permission-requests/recent-request.repository.ts';
import { EmailDelivery } from './notifications/email-delivery.ts';
import { EmailOutboxController } from './notifications/email-outbox.controller.ts';
import { EmailOutboxMetrics } from './notifications/email-outbox.metrics.ts';
import { EMAIL_OUTBOX_OPTIONS, EmailOutboxRelay } from './notifications/email-outbox.relay.ts';
import { EmailOutboxRepository } from './notifications/email-outbox.repository.ts';
import { MAIL_OPTIONS, MailSender } from './notifications/mail-sender.ts';
import { NotificationRepository } from './notifications/notification.repository.ts';
import { NotificationSettingsRepository } from './notifications/notification-settings.repository.ts';
import {
  NOTIFICATION_STREAM_OPTIONS,
  NotificationStreams,
} from './notifications/notification-streams.ts';
import { NotificationsController } from './notifications/notifications.controller.ts';
import { EMAIL_CHANNEL_ENABLED, Notifier } from './notifications/notifier.ts';
import { SHARE_MAX_DURATION_DAYS, ShareExpiryPolicy } from './shares/share-expiry.ts';
import { ReaskInterval } from './permission-requests/reask-interval.ts';
import { REQUEST_CONDITIONS } from './permission-requests/request-conditions.ts';
import { RequestExpiry } from './permission-requests/request-expiry.ts';
import { ShareService } from './shares/share.service.ts';
import { SharedWithMeService } from './shares/shared-with-me.service.ts';
import { SharesController } from './shares/shares.controller.ts';

/** The owner's side of user-managed access: requests, approvals, shares and revocations. */
@Module({})
export class PermissionServiceModule {
  static forRoot(config: PermissionServiceConfig): DynamicModule {
    return {
      module: PermissionServiceModule,
      imports: [
        PlatformModule.forRoot(config, {
          schema: PERMISSION_SERVICE_SCHEMA,
          applicationName: 'permission-service',
          entities: [AuditEventEntity],
        }),
      ],
      controllers: [
        PermissionRequestsController,
        SharesController,
        InvitationLinksController,
        AuditController,
        GrantCleanupController,
        NotificationsController,
        EmailOutboxController,
      ],
      providers: [
        AccessPolicy,
        { provide: ALBUM_DEPLOYMENT, useValue: config.deployment },
        AlbumDirectory,
        AuditRepository,
        { provide: GRANT_CLEANUP_OPTIONS, useValue: config.grantCleanup },
        GrantCleanupMetrics,
        GrantCleanupRelay,
        GrantCleanupRepository,
        EndedGrants,
        ExpiredGrants,
        GrantDirectory,
        { provide: GRANT_EXPIRY_SWEEP_OPTIONS, useValue: config.grantExpirySweep },
        GrantExpirySweep,
        GrantReconciler,
        GrantRecordRepository,
        GrantService,
        { provide: INVITATION_LINK_OPTIONS, useValue: config.invitationLinks },
        InvitationLinkRepository,
        InvitationLinkService,
        InvitationRedemptionService,
        RedeemFailureRepository,
        KeycloakCleanup,
        KeycloakGrants,
        { provide: KEYCLOAK_WATCH_OPTIONS, useValue: config.keycloakWatch },
        KeycloakWatchRepository,
        KeycloakWatch,
        PartyDirectory,
        PartyRecordRepository,
        PendingRequestImport,
        PendingRequestRepository,
        RequestListRepository,
        ShareListRepository,
        PermissionAnswerService,
        PermissionFlows,
        PermissionRequestLists,
        PermissionRequestService,
        PermissionRequestSubmitter,
        RecentRequestRepository,
        ReaskInterval,
        { provide: REQUEST_CONDITIONS, useValue: config.requestConditions },
        RequestExpiry,
        { provide: REQUEST_REPEAT_SECONDS, useValue: config.requestRepeatWindowSeconds },
        { provide: SHARE_MAX_DURATION_DAYS, useValue: config.shareMaxDurationDays },
        ShareExpiryPolicy,
        ShareService,
        SharedWithMeService,
        { provide: EMAIL_CHANNEL_ENABLED, useValue: config.mail.smtpUrl !== undefined },
        { provide: MAIL_OPTIONS, useValue: config.mail },
        { provide: EMAIL_OUTBOX_OPTIONS, useValue: config.emailOutbox },
        { provide: NOTIFICATION_STREAM_OPTIONS, useValue: config.notificationStreams },
        EmailDelivery,
        EmailOutboxMetrics,
        EmailOutboxRelay,
        EmailOutboxRepository,
        MailSender,
        NotificationRepository,
        NotificationSettingsRepository,
        NotificationStreams,
        Notifier,
      ],
    };
  }
}
