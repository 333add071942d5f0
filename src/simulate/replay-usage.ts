export async function replayUsage(_: unknown): Promise<{ result: unknown; text: string }> {
  throw new Error('--replay-usage is not implemented yet');
}
