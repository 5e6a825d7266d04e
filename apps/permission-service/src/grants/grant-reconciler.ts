import { Injectable } from '@nestjs/common';
import { inParallel } from '@app/common';
import { GrantRecordRepository, type GrantWriter } from '@app/grant-record';
import { log } from '@app/observability';
import { GrantDirectory } from './grant-directory.ts';
import { type GrantEntry, grantedScopes, type Party } from './grant-entry.ts';

const reconcileLog = log.child({ component: 'grant-reconciler' });

/** Resources read per page, and reconciled at once, by a full pass. */
const PAGE = 200;
const CONCURRENCY = 2;

/** What Keycloak grants the party whose tokens carry `subject`, from one resource's entries. */
export function keycloakGrants(entries: readonly GrantEntry[], subject: string): string[] {
  return [
    ...new Set(
      entries
        .filter((entry) => entry.requester.subject === subject)
        .flatMap((entry) => grantedScopes(entry)),
    ),
  ].sort();
}

/** The scopes of `recorded` that Keycloak no longer grants (none: the record is within it). */
export function beyondKeycloak(recorded: readonly string[], granted: readonly string[]): string[] {
  return recorded.filter((scope) => !granted.includes(scope));
}

/**
 * Narrows the record of what each party holds (`GrantRecordRepository`) to what Keycloak grants
 * it, its granted tickets and partner share permissions, so that a grant taken away in Keycloak
 * itself (the admin console, the protection API) stops opening the album to RPTs too. It only
 * narrows: a grant made in Keycloak directly waits for the owner's confirmation here, and a
 * revocation that failed half-way (the record narrowed, Keycloak still granting) stays in force.
 * Each party's record is narrowed inside its exclusive section, after reading Keycloak there, so a
 * share or approval running at the same time is never undone.
 */
@Injectable()
export class GrantReconciler {
  constructor(
    private readonly grantDirectory: GrantDirectory,
    private readonly grants: GrantRecordRepository,
  ) {}

  /**
   * Every party's access to the resource as Keycloak has it, after narrowing the record to it:
   * what the entries call `current` is then exactly what RPTs are honoured for.
   */
  async reconcileResource(resourceId: string): Promise<GrantEntry[]> {
    const [entries, recorded] = await Promise.all([
      this.grantDirectory.entriesOfResource(resourceId),
      this.grants.ofResource(resourceId),
    ]);
    const stale = [...recorded].filter(
      ([subject, scopes]) => beyondKeycloak(scopes, keycloakGrants(entries, subject)).length > 0,
    );
    if (stale.length === 0) {
      return entries;
    }
    for (const [subject] of stale) {
      await this.grants.exclusive(resourceId, subject, (current) =>
        this.narrowToKeycloak(current, resourceId, subject),
      );
    }
    const now = await this.grants.ofResource(resourceId);
    return entries.map((entry) => ({ ...entry, current: now.get(entry.requester.subject) ?? [] }));
  }

  /**
   * Inside the party's exclusive section (`GrantRecordRepository.exclusive`): narrows its record
   * to what Keycloak grants it now, reading every party's grants on the resource (the subject's
   * party may not be known); returns the scopes taken away.
   */
  async narrowToKeycloak(
    current: GrantWriter,
    resourceId: string,
    subject: string,
  ): Promise<string[]> {
    const entries = await this.grantDirectory.entriesOfResource(resourceId);
    return this.narrowTo(current, resourceId, subject, keycloakGrants(entries, subject));
  }

  /**
   * {@link narrowToKeycloak} for a known party: asks Keycloak about the tickets and share of that
   * party only, and of its service account too for a partner (whose tokens carry its `sub`).
   */
  async narrowPartyToKeycloak(
    current: GrantWriter,
    resourceId: string,
    party: Party,
  ): Promise<string[]> {
    const holders: Party[] =
      party.subject === party.id
        ? [party]
        : [
            party,
            { id: party.subject, username: party.username, partner: false, subject: party.subject },
          ];
    const entries = await Promise.all(
      holders.map((holder) => this.grantDirectory.entry(resourceId, holder)),
    );
    const granted = keycloakGrants(
      entries.filter((entry) => entry !== undefined),
      party.subject,
    );
    return this.narrowTo(current, resourceId, party.subject, granted);
  }

  private async narrowTo(
    current: GrantWriter,
    resourceId: string,
    subject: string,
    granted: readonly string[],
  ): Promise<string[]> {
    const dropped = beyondKeycloak(await this.grants.held(resourceId, subject), granted);
    if (dropped.length > 0) {
      await current.narrow(granted);
      reconcileLog.info(
        { event: 'permission.narrowed-to-keycloak', resourceId, subject, scopes: dropped },
        'access narrowed to what Keycloak grants',
      );
    }
    return dropped;
  }

  /** Reconciles every resource the subject holds something on (e.g. a user deleted in Keycloak). */
  async reconcileSubject(subject: string): Promise<void> {
    for (const resourceId of (await this.grants.ofSubject(subject)).keys()) {
      await this.reconcileResource(resourceId);
    }
  }

  /**
   * Reconciles every resource someone holds something on: the backstop for narrowings no event
   * announces. Its cost grows with the number of shared resources (about three Keycloak calls
   * each); a resource that fails is left for the next pass.
   */
  async reconcileAll(): Promise<{ resources: number; failed: number }> {
    let resources = 0;
    let failed = 0;
    for (let after = ''; ;) {
      const page = await this.grants.resourcesAfter(after, PAGE);
      await inParallel(page, CONCURRENCY, async (resourceId) => {
        try {
          await this.reconcileResource(resourceId);
        } catch (error) {
          failed += 1;
          reconcileLog.warn(
            { resourceId, error: error instanceof Error ? error.message : String(error) },
            'reconciling a resource failed; the next pass tries again',
          );
        }
      });
      resources += page.length;
      const last = page.at(-1);
      if (last === undefined || page.length < PAGE) {
        return { resources, failed };
      }
      after = last;
    }
  }
}
