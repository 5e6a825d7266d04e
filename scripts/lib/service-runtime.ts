/**
 * V8 heap limits of a service process, wherever it runs: `npm start`, the benchmarks and the
 * container image (docker/Dockerfile sets the same flags in NODE_OPTIONS; scripts/workspace.spec.ts
 * keeps the two equal).
 *
 * Without them, V8 sizes its heap from the machine: on a 24 GB host it let the young generation
 * grow to 128 MB and old space run past 100 MB between collections, and a service's resident
 * memory climbed from 160 to 300 MB within a minute of mixed load, all of it garbage (a full
 * collection brought the live heap back to about 40 MB). With these limits it stays near 170 MB,
 * flat (`npm run bench:soak`). 128 MB is three times the live heap: the services hold no large
 * state in memory (photo bytes are buffers outside the heap, listings are paged).
 */
export const SERVICE_NODE_FLAGS: readonly string[] = [
  '--max-old-space-size=128',
  '--max-semi-space-size=8',
];
