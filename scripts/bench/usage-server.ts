// The API process of the usage benchmark: the real app with the usage routes,
// in its own process so the load generator does not share its event loop.
// Started by scripts/bench-usage.ts: usage-server.ts <databaseUrl> <port>.
import { loadPricing } from '../../src/config/pricing';
import { createPool } from '../../src/db/pool';
import { buildApp } from '../../src/http/app';
import { usageRoutes } from '../../src/http/routes/usage';
import { DEFAULT_BATCHING, debitBatcherOf } from '../../src/ledger/debit-batcher';

const [databaseUrl, port] = process.argv.slice(2);
if (!databaseUrl || !port) throw new Error('usage: usage-server.ts <databaseUrl> <port>');

const pool = createPool(databaseUrl, Number(process.env.BENCH_POOL_SIZE ?? 20));
// BENCH_DEBIT_IN_FLIGHT: the group-commit batcher's statements in flight (src/ledger/debit-batcher.ts), to compare settings.
if (process.env.BENCH_DEBIT_IN_FLIGHT) debitBatcherOf(pool, { ...DEFAULT_BATCHING, maxInFlight: Number(process.env.BENCH_DEBIT_IN_FLIGHT) });
const app = await buildApp({ tokens: { api: 'bench-token', read: 'bench-read-token' }, routes: [usageRoutes({ pool, pricing: loadPricing() })] });
await app.listen({ port: Number(port), host: '127.0.0.1' });
process.send?.('ready');
process.on('disconnect', () => {
  void app.close().then(() => pool.end()).then(() => process.exit(0));
});
