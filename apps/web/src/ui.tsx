import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import type { Page } from './api/contract.ts';
import { type ApiResult, type Failed, sentence } from './api/result.ts';

export type Loaded<T> =
  { state: 'loading' } | { state: 'ready'; value: T } | { state: 'failed'; result: Failed };

/** Loads with `load` now and whenever `reload` is called; keeps the last value while reloading. */
export function useLoad<T>(
  load: () => Promise<ApiResult<T>>,
  deps: readonly unknown[],
): [Loaded<T>, () => Promise<void>] {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  // oxlint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps);
  const reload = useCallback(async () => {
    try {
      const result = await run();
      setLoaded(
        result.kind === 'ok' ? { state: 'ready', value: result.body } : { state: 'failed', result },
      );
    } catch (error) {
      setLoaded({
        state: 'failed',
        result: {
          kind: 'problem',
          status: 0,
          problem: { detail: error instanceof Error ? error.message : 'Something went wrong.' },
        },
      });
    }
  }, [run]);
  useEffect(() => {
    setLoaded({ state: 'loading' });
    void reload();
  }, [reload]);
  return [loaded, reload];
}

/** A list loaded a page at a time: the pages so far, and whether the service has more. */
export interface Paged<T> {
  readonly loaded: Loaded<T[]>;
  /** The service has more items after these ("Load more" is offered). */
  readonly more: boolean;
  /** A next page is on its way. */
  readonly loadingMore: boolean;
  /** What went wrong with the last "Load more", if it did. */
  readonly moreFailed: Failed | undefined;
  readonly loadMore: () => Promise<void>;
  /** Loads the first page again (after a change), dropping the pages after it. */
  readonly reload: () => Promise<void>;
}

/**
 * A list of a paged route (`{items, nextCursor}`): the first page now and on `reload`, the next one
 * on `loadMore`, appended. A reload started after a "Load more" wins: its answer replaces the list.
 */
export function usePaged<T>(
  load: (cursor: string | undefined) => Promise<ApiResult<Page<T>>>,
  deps: readonly unknown[],
): Paged<T> {
  const [first, reloadFirst] = useLoad(() => load(undefined), deps);
  const [extra, setExtra] = useState<{ items: T[]; cursor: string | null }>();
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreFailed, setMoreFailed] = useState<Failed>();
  const generation = useRef(0);

  // A new first page starts the list again.
  useEffect(() => {
    generation.current += 1;
    setExtra(undefined);
    setMoreFailed(undefined);
  }, [first]);

  const cursor =
    extra !== undefined ? extra.cursor : first.state === 'ready' ? first.value.nextCursor : null;
  const loadMore = async () => {
    if (cursor === null) {
      return;
    }
    const started = generation.current;
    setLoadingMore(true);
    const result = await load(cursor);
    setLoadingMore(false);
    if (started !== generation.current) {
      return;
    }
    if (result.kind === 'ok') {
      setMoreFailed(undefined);
      setExtra((current) => ({
        items: [...(current?.items ?? []), ...result.body.items],
        cursor: result.body.nextCursor,
      }));
    } else {
      setMoreFailed(result);
    }
  };
  const loaded: Loaded<T[]> =
    first.state === 'ready'
      ? { state: 'ready', value: [...first.value.items, ...(extra?.items ?? [])] }
      : first;
  return {
    loaded,
    more: first.state === 'ready' && cursor !== null,
    loadingMore,
    moreFailed,
    loadMore,
    reload: reloadFirst,
  };
}

/** "Load more" under a list, while the service has more; says what failed when it did. */
export function LoadMore<T>(props: { list: Paged<T>; what: string }) {
  const { list } = props;
  if (!list.more) {
    return null;
  }
  return (
    <div className="actions">
      <button
        type="button"
        className="secondary"
        disabled={list.loadingMore}
        onClick={() => void list.loadMore()}
      >
        Load more<span className="visually-hidden"> {props.what}</span>
      </button>
      {list.loadingMore && <Loading what={`more ${props.what}`} />}
      <Failure result={list.moreFailed} />
    </div>
  );
}

export function Loading(props: { what: string }) {
  return (
    <p role="status" className="muted">
      Loading {props.what}…
    </p>
  );
}

export function ErrorMessage(props: { children: ReactNode }) {
  return (
    <p role="alert" className="error">
      {props.children}
    </p>
  );
}

/** Shows what failed as a sentence, or nothing. */
export function Failure(props: { result: Failed | undefined }) {
  return props.result === undefined ? null : <ErrorMessage>{sentence(props.result)}</ErrorMessage>;
}

export function scopeName(scope: string): string {
  return scope.replace(/^album:/, '');
}

/** Checkboxes for a set of scopes, in a fieldset with a legend. */
export function ScopePicker<S extends string>(props: {
  legend: string;
  scopes: readonly S[];
  selected: readonly S[];
  onChange: (selected: S[]) => void;
  idPrefix: string;
}) {
  return (
    <fieldset className="scopes">
      <legend>{props.legend}</legend>
      {props.scopes.map((scope) => {
        const inputId = `${props.idPrefix}-${scopeName(scope)}`;
        return (
          <span key={scope} className="scope">
            <input
              type="checkbox"
              id={inputId}
              checked={props.selected.includes(scope)}
              onChange={(event) =>
                props.onChange(
                  event.target.checked
                    ? props.scopes.filter((s) => s === scope || props.selected.includes(s))
                    : props.selected.filter((s) => s !== scope),
                )
              }
            />
            <label htmlFor={inputId}>{scopeName(scope)}</label>
          </span>
        );
      })}
    </fieldset>
  );
}
