import { useState } from 'react';

/** When something ends, as a sentence with a machine-readable `<time>`; nothing when it does not. */
export function Expiry(props: { at: string | null | undefined; label?: string }) {
  if (props.at === null || props.at === undefined) {
    return null;
  }
  const ended = Date.parse(props.at) <= Date.now();
  return (
    <p className="muted">
      {props.label ?? (ended ? 'Ended' : 'Until')}{' '}
      <time dateTime={props.at}>{new Date(props.at).toLocaleString()}</time>
    </p>
  );
}

/** The choices of an expiry field: none, a few common durations, or a date and time. */
const DURATIONS = [
  ['never', 'Never', 0],
  ['hour', 'In an hour', 3_600_000],
  ['day', 'In a day', 86_400_000],
  ['week', 'In a week', 7 * 86_400_000],
  ['month', 'In 30 days', 30 * 86_400_000],
  ['at', 'On a date…', 0],
] as const;

type Choice = (typeof DURATIONS)[number][0];

/** A `datetime-local` value (the browser's time zone) as an ISO instant; undefined when unset. */
function instant(local: string): string | undefined {
  const time = Date.parse(local);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/**
 * An optional end: "never", a duration from now, or a date and time (to the second). It answers
 * a function rather than a value: a duration counts from when the form is sent, not from when it
 * was picked.
 */
export function useExpiryField(idPrefix: string, legend: string) {
  const [choice, setChoice] = useState<Choice>('never');
  const [at, setAt] = useState('');
  const field = (
    <fieldset className="scopes">
      <legend>{legend}</legend>
      <span className="scope">
        <label htmlFor={`${idPrefix}-ends`}>Ends</label>
        <select
          id={`${idPrefix}-ends`}
          value={choice}
          onChange={(event) => setChoice(event.target.value as Choice)}
        >
          {DURATIONS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </span>
      {choice === 'at' && (
        <span className="scope">
          <label htmlFor={`${idPrefix}-at`}>Date and time</label>
          <input
            id={`${idPrefix}-at`}
            type="datetime-local"
            step={1}
            required
            value={at}
            onChange={(event) => setAt(event.target.value)}
          />
        </span>
      )}
    </fieldset>
  );
  const expiresAt = (): string | undefined => {
    if (choice === 'at') {
      return instant(at);
    }
    const duration = DURATIONS.find(([value]) => value === choice)?.[2] ?? 0;
    return duration === 0 ? undefined : new Date(Date.now() + duration).toISOString();
  };
  const reset = () => {
    setChoice('never');
    setAt('');
  };
  return { field, expiresAt, reset };
}
