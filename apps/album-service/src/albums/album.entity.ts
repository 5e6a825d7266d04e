import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The album entity type, for `@UmaResource` and the resource-registration library. */
export const ALBUM = 'album';

/** A row of the albums table (see `AlbumRepository`). */
@Entity({ name: 'albums' })
export class AlbumEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  description: string | null;

  /** The owner's user id (`sub`). */
  @Column({ name: 'owner_id', type: 'varchar', length: 64 })
  ownerId: string;

  @Column({ name: 'owner_username', type: 'varchar', length: 255 })
  ownerUsername: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
