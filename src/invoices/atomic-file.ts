// Writes a file so that readers see either nothing or the whole file: write
// to a hidden temp file in the same directory, fsync, rename over the target.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export async function writeFileAtomically(dir: string, name: string, bytes: Buffer): Promise<string> {
  if (name !== path.basename(name) || name.startsWith('.')) throw new Error(`not a plain file name: ${name}`);
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, name);
  const tmp = path.join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  // Make the rename itself durable (best effort: not every platform can fsync a directory).
  const dh = await open(dir, 'r').catch(() => null);
  await dh?.sync().catch(() => undefined);
  await dh?.close();
  return target;
}
