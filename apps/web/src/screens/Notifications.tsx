import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/calls.ts';
import type { Notification } from '../api/contract.ts';
import type { Failed } from '../api/result.ts';
import { useLiveNotifications } from '../notifications/live.tsx';
import { Failure, LoadMore, Loading, scopeName, useLoad, usePaged } from '../ui.tsx';

/** What happened, as a sentence, by kind (a record: it fails to compile when a kind is added). */
const SENTENCES: Record<Notification['kind'], (who: string, scopes: string) => string> = {
  'request-received': (who, scopes) => `${who} asks to ${scopes}`,
  'request-approved': (who, scopes) => `${who} approved your request: you may ${scopes}`,
  'request-denied': (who, scopes) => `${who} denied your request to ${scopes}`,
  'album-shared': (who, scopes) => `${who} shared it with you: you may ${scopes}`,
  'link-redeemed': (who, scopes) => `${who} joined through an invitation link: may ${scopes}`,
};

function what(notification: Notification): string {
  return SENTENCES[notification.kind](
    notification.actorUsername,
    notification.scopes.map(scopeName).join(', '),
  );
}

function NotificationItem(props: { notification: Notification; onRead: () => Promise<void> }) {
  const { notification } = props;
  const [failure, setFailure] = useState<Failed>();
  const read = async () => {
    const result = await api.markRead({ ids: [notification.id] });
    if (result.kind === 'ok') {
      await props.onRead();
    } else {
      setFailure(result);
    }
  };
  const unread = notification.readAt === null;
  return (
    <li className={unread ? 'unread' : undefined}>
      <p>
        {unread && <strong>New: </strong>}
        <Link
          to={
            notification.kind === 'request-received' ? '/inbox' : `/albums/${notification.albumId}`
          }
        >
          {notification.albumName}
        </Link>{' '}
        — {what(notification)}{' '}
        <time className="muted" dateTime={notification.createdAt}>
          {new Date(notification.createdAt).toLocaleString()}
        </time>
      </p>
      {notification.message !== null && (
        <blockquote className="message">{notification.message}</blockquote>
      )}
      {unread && (
        <button type="button" className="secondary" onClick={() => void read()}>
          Mark read
          <span className="visually-hidden">
            : {notification.albumName}, {notification.actorUsername}
          </span>
        </button>
      )}
      <Failure result={failure} />
    </li>
  );
}

/** Whether notifications also come by email: the box follows the click, and goes back if refused. */
function EmailSetting() {
  const [settings] = useLoad(() => api.notificationSettings(), []);
  const [chosen, setChosen] = useState<boolean>();
  const [failure, setFailure] = useState<Failed>();
  if (settings.state === 'loading') {
    return <Loading what="your settings" />;
  }
  if (settings.state === 'failed') {
    return <Failure result={settings.result} />;
  }
  const email = chosen ?? settings.value.email;
  const change = async (wanted: boolean) => {
    setChosen(wanted);
    const result = await api.putNotificationSettings(wanted);
    if (result.kind === 'ok') {
      setFailure(undefined);
      setChosen(result.body.email);
    } else {
      setFailure(result);
      setChosen(!wanted);
    }
  };
  return (
    <div>
      <p className="scope">
        <input
          type="checkbox"
          id="email-notifications"
          checked={email}
          onChange={(event) => void change(event.target.checked)}
        />
        <label htmlFor="email-notifications">Also tell me by email</label>
      </p>
      <Failure result={failure} />
    </div>
  );
}

/** The person's notifications, newest first; a new one shows up by itself. */
export function Notifications() {
  const list = usePaged((cursor) => api.notifications(cursor), []);
  const { loaded, reload } = list;
  const live = useLiveNotifications();
  const [failure, setFailure] = useState<Failed>();
  const { latest, setUnread } = live;
  useEffect(() => {
    if (latest !== undefined) {
      void reload();
    }
  }, [latest, reload]);

  const readAll = async () => {
    const result = await api.markRead({ all: true });
    if (result.kind === 'ok') {
      setFailure(undefined);
      setUnread(0);
      await reload();
    } else {
      setFailure(result);
    }
  };
  const unread = live.unread ?? 0;
  return (
    <>
      <h1>Notifications</h1>
      <EmailSetting />
      <div className="actions">
        <button
          type="button"
          className="secondary"
          disabled={unread === 0}
          onClick={() => void readAll()}
        >
          Mark all read
        </button>
        <span className="muted">{unread === 0 ? 'Nothing unread.' : `${unread} unread`}</span>
      </div>
      <Failure result={failure} />
      {loaded.state === 'loading' && <Loading what="your notifications" />}
      {loaded.state === 'failed' && <Failure result={loaded.result} />}
      {loaded.state === 'ready' &&
        (loaded.value.length === 0 ? (
          <p className="empty">Nothing has happened yet.</p>
        ) : (
          <ul className="notifications" aria-label="Notifications">
            {loaded.value.map((notification) => (
              <NotificationItem key={notification.id} notification={notification} onRead={reload} />
            ))}
          </ul>
        ))}
      <LoadMore list={list} what="notifications" />
    </>
  );
}
