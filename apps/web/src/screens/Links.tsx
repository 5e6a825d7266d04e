import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/calls.ts';
import {
  ALBUM_SCOPES,
  type AlbumScope,
  type CreatedInvitationLink,
  type InvitationLink,
} from '../api/contract.ts';
import type { Failed } from '../api/result.ts';
import { Failure, LoadMore, Loading, ScopePicker, scopeName, useLoad, usePaged } from '../ui.tsx';
import { Expiry, useExpiryField } from './Expiry.tsx';

const STATE_NAMES: Record<InvitationLink['state'], string> = {
  active: 'active',
  expired: 'expired',
  'used-up': 'used up',
};

/**
 * The link just made, with its secret: shown this once (the service keeps only its hash), with a
 * button that copies it.
 */
function NewLink(props: { link: CreatedInvitationLink; onDismiss: () => void }) {
  const [copied, setCopied] = useState<string>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.link.url);
      setCopied('Copied.');
    } catch {
      setCopied('The browser did not allow copying: select the link and copy it.');
    }
  };
  return (
    <section className="panel" aria-labelledby="new-link-title">
      <h2 id="new-link-title">Your new invitation link</h2>
      <p>
        Send it to the people you invite. It is shown only now: Photoz keeps no copy it could show
        again.
      </p>
      <code className="secret" aria-label="Invitation link">
        {props.link.url}
      </code>
      <div className="actions">
        <button type="button" onClick={() => void copy()}>
          Copy the link
        </button>
        <button type="button" className="secondary" onClick={props.onDismiss}>
          Done
        </button>
        <span role="status">{copied ?? ''}</span>
      </div>
    </section>
  );
}

function LinkRow(props: { albumId: string; link: InvitationLink; onChanged: () => Promise<void> }) {
  const { link } = props;
  const [deleting, setDeleting] = useState(false);
  const [revokeShares, setRevokeShares] = useState(false);
  const [failure, setFailure] = useState<Failed>();
  const remove = async () => {
    const result = await api.deleteLink(props.albumId, link.id, revokeShares);
    if (result.kind === 'ok') {
      await props.onChanged();
    } else {
      setFailure(result);
    }
  };
  const created = new Date(link.createdAt).toLocaleString();
  return (
    <li className="card">
      <h3 className="card-title">
        Link of {created} <span className="muted">({STATE_NAMES[link.state]})</span>
      </h3>
      <p>
        Lets someone {link.scopes.map(scopeName).join(', ')}; used {link.uses}
        {link.maxUses === null ? ' times' : ` of ${link.maxUses} times`}
      </p>
      <Expiry at={link.expiresAt} label={link.state === 'expired' ? 'Ended' : 'Works until'} />
      {deleting ? (
        <div className="actions" role="group" aria-label={`Delete the link of ${created}?`}>
          <span className="scope">
            <input
              type="checkbox"
              id={`revoke-${link.id}`}
              checked={revokeShares}
              onChange={(event) => setRevokeShares(event.target.checked)}
            />
            <label htmlFor={`revoke-${link.id}`}>
              Also revoke the access of everyone who joined through it
            </label>
          </span>
          <button type="button" className="danger" onClick={() => void remove()}>
            Yes, delete the link
          </button>
          <button type="button" className="secondary" onClick={() => setDeleting(false)}>
            Keep it
          </button>
        </div>
      ) : (
        <div className="actions">
          <button type="button" className="secondary" onClick={() => setDeleting(true)}>
            Delete<span className="visually-hidden"> the link of {created}</span>
          </button>
        </div>
      )}
      <Failure result={failure} />
    </li>
  );
}

/** An album's invitation links: make one (scopes, expiry, uses), see them, delete them. */
export function Links(props: { albumId: string }) {
  const [album] = useLoad(() => api.album(props.albumId), [props.albumId]);
  const links = usePaged((cursor) => api.links(props.albumId, cursor), [props.albumId]);
  const [scopes, setScopes] = useState<AlbumScope[]>(['album:view']);
  const [maxUses, setMaxUses] = useState('');
  const [created, setCreated] = useState<CreatedInvitationLink>();
  const [failure, setFailure] = useState<Failed>();
  const expiry = useExpiryField('new-link-expiry', 'Expiry of the link');

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const uses = Number.parseInt(maxUses, 10);
    const expiresAt = expiry.expiresAt();
    const result = await api.createLink(props.albumId, {
      scopes,
      ...(expiresAt === undefined ? {} : { expiresAt }),
      ...(Number.isNaN(uses) ? {} : { maxUses: uses }),
    });
    if (result.kind === 'ok') {
      setCreated(result.body);
      setFailure(undefined);
      setMaxUses('');
      expiry.reset();
      await links.reload();
    } else {
      setFailure(result);
    }
  };

  const title = album.state === 'ready' ? album.value.name : 'Album';
  const { loaded } = links;
  return (
    <>
      <h1>Invitation links of {title}</h1>
      <p className="actions">
        <Link to={`/albums/${props.albumId}`}>Back to the album</Link>
        <Link to={`/albums/${props.albumId}/shares`}>Shares and audit</Link>
      </p>
      {created !== undefined && <NewLink link={created} onDismiss={() => setCreated(undefined)} />}
      <form onSubmit={(event) => void create(event)} className="panel" aria-label="New link">
        <h2>Make a link</h2>
        <p className="muted">
          Whoever opens the link and signs in gets these scopes on the album, as if you had shared
          it with them.
        </p>
        <ScopePicker
          legend="Scopes the link gives"
          scopes={ALBUM_SCOPES}
          selected={scopes}
          onChange={setScopes}
          idPrefix="new-link"
        />
        {expiry.field}
        <p>
          <label htmlFor="new-link-uses">How many people may use it (empty: no limit)</label>{' '}
          <input
            id="new-link-uses"
            type="number"
            min={1}
            max={1000}
            value={maxUses}
            onChange={(event) => setMaxUses(event.target.value)}
          />
        </p>
        <button type="submit" disabled={scopes.length === 0}>
          Create link
        </button>
        <Failure result={failure} />
      </form>
      <h2>Links</h2>
      {loaded.state === 'loading' && <Loading what="the links" />}
      {loaded.state === 'failed' && <Failure result={loaded.result} />}
      {loaded.state === 'ready' &&
        (loaded.value.length === 0 ? (
          <p className="empty">This album has no invitation links.</p>
        ) : (
          <ul className="cards" aria-label="Invitation links">
            {loaded.value.map((link) => (
              <LinkRow key={link.id} albumId={props.albumId} link={link} onChanged={links.reload} />
            ))}
          </ul>
        ))}
      <LoadMore list={links} what="links" />
    </>
  );
}
