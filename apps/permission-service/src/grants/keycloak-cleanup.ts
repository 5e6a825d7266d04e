import { Injectable } from '@nestjs/common';
import { EVERY_REQUEST, type GrantCleanup } from './grant-cleanup.repository.ts';
import { GrantDirectory } from './grant-directory.ts';
import { GrantService } from './grant.service.ts';
import { KeycloakGrants } from './keycloak-grants.ts';

/**
 * One clean-up's work: make Keycloak grant the party no more on the resource than the grant
 * record holds now. It runs as a change of the party's access (`GrantService.change`) and reads
 * the record and Keycloak inside it, so a share made after the revocation is kept (the record
 * holds it again), a repeated clean-up finds nothing to do, and a party or album gone from
 * Keycloak (its tickets and share gone with it) leaves nothing to do either.
 */
@Injectable()
export class KeycloakCleanup {
  constructor(
    private readonly grants: GrantService,
    private readonly directory: GrantDirectory,
    private readonly keycloak: KeycloakGrants,
  ) {}

  async perform(job: GrantCleanup): Promise<void> {
    await this.grants.change(job, job.party, async (access) => {
      const held = new Set(await access.held());
      const entry = await this.directory.entry(job.resourceId, job.party);
      if (entry === undefined) {
        return;
      }
      const beyond = (scope: string) => !held.has(scope);
      const withdrawn = (id: string) =>
        job.requests.includes(EVERY_REQUEST) || job.requests.includes(id);
      // Granted tickets the record no longer holds, and the requests the revocation withdrew.
      await this.keycloak.deleteTickets([
        ...entry.granted.filter((ticket) => beyond(ticket.scopeName)),
        ...entry.pending.filter((ticket) => withdrawn(ticket.id) && beyond(ticket.scopeName)),
      ]);
      if (job.party.partner && entry.sharedScopes.some(beyond)) {
        await this.directory.setPartnerShare(
          job.resourceId,
          job.party,
          entry.sharedScopes.filter((scope) => held.has(scope)),
        );
      }
    });
  }
}
