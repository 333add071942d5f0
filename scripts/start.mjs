#!/usr/bin/env node
// `npm start`'s launcher. Ctrl-C in a terminal signals the whole foreground
// process group: embedded Postgres and the Temporal dev server would stop at
// once, under the worker that is still draining. So src/main.ts runs in a
// process group (session) of its own with everything it starts, and gets
// exactly one signal from here; it then stops things in order. If this
// launcher dies, main.ts sees its IPC channel close and stops too.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'main.ts')], {
  cwd: root,
  detached: true,
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0)));
