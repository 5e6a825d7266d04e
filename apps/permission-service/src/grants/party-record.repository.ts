import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Party } from './grant-entry.ts';

interface PartyRow {
  readonly id: string;
  readonly subject: string;
  readonly username: string;
  readonly partner: boolean;
}

function toParty(row: PartyRow): Party {
  return { id: row.id, subject: row.subject, username: row.username, partner: row.partner };
}

/**
 * The `parties` table: who each party is, as Keycloak named it the last time this service asked
 * (`PartyDirectory` writes every party it resolves). The lists read names from here instead of
 * asking Keycloak about each item. Usernames do not change in the realm (`editUsernameAllowed` is
 * off), and a partner's client id and service account last as long as the client. One row per
 * subject: a partner's service account is named as the partner, never as a person.
 */
@Injectable()
export class PartyRecordRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Keeps what Keycloak says a party is. A partner first known by its client id only (Keycloak's
   * tickets name it so) is named again once its service account is known: one row per id too.
   */
  async remember(party: Party): Promise<void> {
    await this.dataSource.query(
      `WITH renamed AS (DELETE FROM parties WHERE id = $2 AND subject <> $1)
       INSERT INTO parties AS known (subject, id, username, partner, updated_at)
       VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (subject) DO UPDATE
         SET id = EXCLUDED.id, username = EXCLUDED.username, partner = EXCLUDED.partner,
             updated_at = EXCLUDED.updated_at
       WHERE (known.partner = EXCLUDED.partner OR EXCLUDED.partner)
         AND (known.id, known.username) IS DISTINCT FROM (EXCLUDED.id, EXCLUDED.username)`,
      [party.subject, party.id, party.username, party.partner],
    );
  }

  /** The party whose tokens carry `subject`, when known. */
  async bySubject(subject: string): Promise<Party | undefined> {
    const [row] = (await this.dataSource.query(
      'SELECT id, subject, username, partner FROM parties WHERE subject = $1',
      [subject],
    )) as PartyRow[];
    return row === undefined ? undefined : toParty(row);
  }
}
