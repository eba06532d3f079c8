import { setFlagsFromString } from 'node:v8';

// Imported first by main.ts. V8 lets the young generation grow to 2 × 16 MiB: loading the agent's
// modules, and then every record living from the receiver to the encoder, leave enough surviving
// scavenges to make it double again and again, and under a steady load that was a third of the
// agent's memory. This flag is read when the young generation would grow (not when the heap is
// made), so set before anything else it stays small: scavenges are more frequent, each no dearer.
// Starting a worker thread puts V8's flags back to their defaults, so whoever starts one calls
// keepYoungGenerationSmall() again once it runs; in a process that did not import this first
// (the agent used as a library) that does nothing.

let kept = false;

export function keepYoungGenerationSmall(): void {
  if (kept) setFlagsFromString('--semi-space-growth-factor=1');
}

kept = true;
keepYoungGenerationSmall();
