import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import type { Notification } from '../api/contract.ts';
import { accessToken } from '../auth.ts';
import { config } from '../config.ts';
import { followEventStream } from './event-stream.ts';

/** What the stream has said so far: the unread count, and the latest notification. */
export interface LiveNotifications {
  /** Unread notifications; undefined until the stream first says. */
  readonly unread: number | undefined;
  /** The newest notification that arrived while the app was open. */
  readonly latest: Notification | undefined;
  /** Sets the count after the app itself marked some read (the stream says it again later). */
  readonly setUnread: (unread: number) => void;
}

const LiveContext = createContext<LiveNotifications>({
  unread: undefined,
  latest: undefined,
  setUnread: () => undefined,
});

export function useLiveNotifications(): LiveNotifications {
  return useContext(LiveContext);
}

function parsed(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Follows `GET /notifications/stream` for as long as the person is signed in, and hands what it
 * says to the badge and to the screens that update themselves (the inbox, the notifications list).
 */
export function NotificationsProvider(props: { children: ReactNode }) {
  const [unread, setUnread] = useState<number>();
  const [latest, setLatest] = useState<Notification>();
  useEffect(() => {
    const controller = new AbortController();
    void followEventStream({
      url: `${config.permissionApi}/notifications/stream`,
      accessToken,
      signal: controller.signal,
      onEvent: ({ event, data }) => {
        const value = parsed(data);
        if (event === 'unread' && typeof value === 'object' && value !== null) {
          const count = (value as { unread?: unknown }).unread;
          if (typeof count === 'number') {
            setUnread(count);
          }
        } else if (event === 'notification' && typeof value === 'object' && value !== null) {
          setLatest(value as Notification);
        }
      },
    });
    return () => controller.abort();
  }, []);
  return (
    <LiveContext.Provider value={{ unread, latest, setUnread }}>
      {props.children}
    </LiveContext.Provider>
  );
}
