/** A photo's metadata, as a row of the photos table holds it; its bytes are the content store's. */
export interface Photo {
  readonly id: string;
  readonly albumId: string;
  /** The album's owner, whose quota the photo counts in. */
  readonly ownerId: string;
  readonly fileName: string;
  readonly contentType: string;
  readonly size: number;
  /** SHA-256 of the bytes, hex. */
  readonly checksum: string;
  readonly createdAt: Date;
}
