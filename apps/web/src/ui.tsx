import { type ReactNode, useCallback, useEffect, useState } from 'react';
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
