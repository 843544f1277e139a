// Preloaded into a process started with `node --cpu-prof`: V8 writes the profile only on a normal
// exit, and the apps re-raise SIGTERM after their shutdown hooks (which kills without writing it).
// SIGUSR2 therefore ends the process with process.exit(0), so the profile lands on disk.
'use strict';
process.on('SIGUSR2', () => process.exit(0));
