/** The album entity type, for `@UmaResource` and the resource-registration library. */
export const ALBUM = 'album';

/** An album, as a row of the albums table holds it (see `AlbumRepository`). */
export interface Album {
  readonly id: string;
  /** At most 200 characters. */
  name: string;
  /** At most 2000 characters. */
  description: string | null;
  /** The owner's user id (`sub`); an album never changes hands. */
  readonly ownerId: string;
  readonly ownerUsername: string;
  readonly createdAt: Date;
  updatedAt: Date;
}
