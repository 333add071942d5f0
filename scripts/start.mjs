#!/usr/bin/env node
// `npm start`'s launcher. Ctrl-C in a terminal signals the whole foreground
// process group: embedded Postgres and the Temporal dev server would stop at
// once, under the worker that is still draining. So src/main.ts runs in a
// process group (session) of its own with everything it starts, and gets
// exactly one signal from here; it then stops things in order. If this
// launcher dies, main.ts sees its IPC channel close and stops too; if the
// launcher's own parent dies (npm killed, a closed terminal's SIGHUP that npm
// does not forward), the launcher sees its parent change and stops main.ts.
// package.json's `start` execs this script, so npm's forwarded SIGINT and
// SIGTERM reach it directly (a shell in between would swallow them).
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { clearInterval, setInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'main.ts')], {
  cwd: root,
  detached: true,
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});

const stop = (signal) => {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal));

// Orphaned: the kernel re-parents us (to init or a subreaper) when npm is gone.
const parent = process.ppid;
const orphanWatch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(orphanWatch);
  stop('SIGTERM');
}, 500);
orphanWatch.unref();
child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0)));
