import { describe, expect, it } from 'vitest';
import type { QueuedEvent } from './uma-outbox.repository.ts';
import { repairPlan } from './uma-resource-registry.ts';

const pendingUpsert: QueuedEvent = { id: '1', operation: 'upsert', status: 'pending' };
const pendingDelete: QueuedEvent = { id: '1', operation: 'delete', status: 'pending' };
const parkedUpsert: QueuedEvent = { id: '1', operation: 'upsert', status: 'parked' };

describe(repairPlan.name, () => {
  it('enqueues an upsert when nothing is queued', () => {
    expect(repairPlan([])).toEqual({ act: true, append: true });
  });

  it('does nothing while a pending upsert is the newest event', () => {
    expect(repairPlan([pendingDelete, { ...pendingUpsert, id: '2' }])).toEqual({
      act: false,
      append: false,
    });
  });

  it('does nothing when the newest event is a delete', () => {
    expect(repairPlan([pendingUpsert, { ...pendingDelete, id: '2' }])).toEqual({
      act: false,
      append: false,
    });
  });

  it('does nothing when the newest event is a parked delete', () => {
    expect(repairPlan([{ ...pendingDelete, status: 'parked' }])).toEqual({
      act: false,
      append: false,
    });
  });

  it('supersedes a parked event that holds a pending upsert back, without another upsert', () => {
    expect(repairPlan([parkedUpsert, { ...pendingUpsert, id: '2' }])).toEqual({
      act: true,
      append: false,
    });
  });

  it('enqueues an upsert when the newest event is parked', () => {
    expect(repairPlan([pendingUpsert, { ...parkedUpsert, id: '2' }])).toEqual({
      act: true,
      append: true,
    });
  });
});
