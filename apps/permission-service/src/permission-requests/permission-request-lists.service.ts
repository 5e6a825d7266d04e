import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@app/auth';
import { type Page, readPage } from '@app/common';
import { AccessPolicy, Permission } from '../access-policy/access-policy.ts';
import type { Party } from '../grants/grant-entry.ts';
import { PartyDirectory, UNKNOWN_CLIENT_PREFIX } from '../grants/party-directory.ts';
import type { PermissionRequestDto } from './permission-request.dto.ts';
import { requestId } from './permission-request-id.ts';
import {
  REQUEST_CONDITIONS,
  type RequestConditions,
  requestExpiresAt,
} from './request-conditions.ts';
import {
  RequestListRepository,
  type RequestPosition,
  type RequestRow,
} from './request-list.repository.ts';

/** Longest id a position holds: Keycloak's ids and user ids are uuids (36). */
const MAX_ID = 64;

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_ID;
}

/** A cursor's position: one resource id. */
function onePosition(value: unknown): readonly [string] | undefined {
  return Array.isArray(value) && value.length === 1 && isId(value[0]) ? [value[0]] : undefined;
}

/** A cursor's position: a resource id and a party's id or subject. */
function twoPosition(value: unknown): RequestPosition | undefined {
  return Array.isArray(value) && value.length === 2 && isId(value[0]) && isId(value[1])
    ? [value[0], value[1]]
    : undefined;
}

function sorted(scopes: readonly string[]): string[] {
  return [...new Set(scopes)].sort();
}

/** A request as the API shows it: pending while any scope waits for the owner. */
/** A row whose resource is an album of this deployment. */
type AlbumRequestRow = RequestRow & {
  readonly albumId: string;
  readonly albumName: string;
  readonly ownerUsername: string;
};

function onAnAlbum(row: RequestRow): row is AlbumRequestRow {
  return row.albumId !== null && row.albumName !== null && row.ownerUsername !== null;
}

function toDto(
  row: AlbumRequestRow,
  requester: Party,
  conditions: RequestConditions,
): PermissionRequestDto {
  const pendingScopes = sorted(row.pending);
  const pending = pendingScopes.length > 0;
  return {
    id: requestId({ resourceId: row.resourceId, requester }),
    albumId: row.albumId,
    albumName: row.albumName,
    requester: { id: requester.id, username: requester.username, partner: requester.partner },
    ownerUsername: row.ownerUsername,
    status: pendingScopes.length > 0 ? 'pending' : 'granted',
    pendingScopes,
    grantedScopes: sorted(row.granted),
    message: pending ? row.message : null,
    expiresAt:
      pending && row.requestedAt !== null
        ? requestExpiresAt(row.requestedAt, conditions).toISOString()
        : null,
  };
}

/**
 * The lists of requests: on the caller's albums (the inbox), and the caller's own (the outbox).
 * Read from the tables this service keeps (`RequestListRepository`), never from Keycloak: the
 * pending requests follow Keycloak's tickets (changes made here at once, requests made at
 * Keycloak directly within the import's interval), what a party holds is the grant record's, and
 * names come from the party record. Only a party the record does not know yet is asked of
 * Keycloak, once, and kept.
 */
@Injectable()
export class PermissionRequestLists {
  constructor(
    private readonly access: AccessPolicy,
    private readonly parties: PartyDirectory,
    private readonly lists: RequestListRepository,
    @Inject(REQUEST_CONDITIONS) private readonly conditions: RequestConditions,
  ) {}

  /** Requests on the caller's albums, one entry per (album, requester). */
  async incoming(
    owner: Principal,
    status: 'pending' | 'granted',
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<PermissionRequestDto>> {
    const { owner: ownerId } = await this.access.requireAccess(
      owner,
      Permission.IncomingRequestsRead,
      {},
    );
    const read = (after: RequestPosition | undefined, count: number) =>
      status === 'pending'
        ? this.lists.incomingPending(ownerId, after ?? ['', ''], count)
        : this.lists.incomingGranted(ownerId, after ?? ['', ''], count);
    const page = await readPage({
      limit,
      cursor,
      parse: twoPosition,
      read: async (after, count) => {
        const rows = await read(after, count);
        // A party the record lacks is asked of Keycloak once and kept: the page is read again
        // with its name (and, for a holder, its pending scopes).
        return (await this.learnParties(rows)) ? read(after, count) : rows;
      },
      positionOf: (row): RequestPosition =>
        status === 'pending'
          ? [row.resourceId, row.requesterId ?? '']
          : [row.resourceId, row.subject ?? ''],
    });
    return { items: page.items.flatMap((row) => this.item(row)), nextCursor: page.nextCursor };
  }

  /** The caller's own requests and their state, one entry per album. */
  async outgoing(
    requester: Principal,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<PermissionRequestDto>> {
    const party = await this.access.requireAccess(requester, Permission.OutgoingRequestsRead, {});
    const page = await readPage({
      limit,
      cursor,
      parse: onePosition,
      read: (after, count) => this.lists.outgoing(party, after?.[0] ?? '', count),
      positionOf: (row): readonly [string] => [row.resourceId],
    });
    return {
      items: page.items.filter(onAnAlbum).map((row) => toDto(row, party, this.conditions)),
      nextCursor: page.nextCursor,
    };
  }

  /** The row's request; a holder Keycloak no longer knows is left out. */
  private item(row: RequestRow): PermissionRequestDto[] {
    if (!onAnAlbum(row)) {
      return [];
    }
    if (row.username !== null && row.requesterId !== null && row.subject !== null) {
      const party = {
        id: row.requesterId,
        username: row.username,
        partner: row.partner === true,
        subject: row.subject,
      };
      return [toDto(row, party, this.conditions)];
    }
    if (row.requesterId !== null) {
      // A partner that asked at Keycloak directly and that this service never dealt with.
      const id = row.requesterId;
      return [
        toDto(
          row,
          { id, username: `${UNKNOWN_CLIENT_PREFIX}${id}`, partner: true, subject: id },
          this.conditions,
        ),
      ];
    }
    return [];
  }

  /** Asks Keycloak about the parties of `rows` the record lacks; whether any was learnt. */
  private async learnParties(rows: readonly RequestRow[]): Promise<boolean> {
    let learnt = false;
    for (const row of rows.filter((candidate) => candidate.username === null)) {
      const party =
        row.requesterId !== null
          ? await this.parties.partyById(row.requesterId)
          : row.subject !== null
            ? await this.parties.partyBySubject(row.subject)
            : undefined;
      learnt ||= party !== undefined;
    }
    return learnt;
  }
}
