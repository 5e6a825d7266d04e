import { Injectable } from '@nestjs/common';
import { KeycloakDiscovery } from './keycloak-discovery.ts';

/** Ready once the realm's discovery document is loaded; Keycloak going away later does not unready us. */
@Injectable()
export class KeycloakReadiness {
  readonly name = 'keycloak';

  constructor(private readonly discovery: KeycloakDiscovery) {}

  isReady(): Promise<boolean> {
    return Promise.resolve(this.discovery.loaded);
  }
}
