import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A photo's metadata; its bytes are kept by the photo content store. */
@Entity({ name: 'photos' })
export class PhotoEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'album_id', type: 'uuid' })
  albumId: string;

  @Column({ name: 'file_name', type: 'varchar', length: 255 })
  fileName: string;

  @Column({ name: 'content_type', type: 'varchar', length: 64 })
  contentType: string;

  @Column({ type: 'integer' })
  size: number;

  /** SHA-256 of the bytes, hex. */
  @Column({ type: 'char', length: 64 })
  checksum: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
