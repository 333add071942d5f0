// Runs the Stripe sandbox on its own: `npm run stripe-sandbox -- --port 12112
// --webhook-url http://127.0.0.1:3000/v1/stripe/webhook --webhook-secret whsec_...`
import { Command } from 'commander';
import { StripeSandbox } from './server';

const opts = new Command('stripe-sandbox')
  .description('A local Stripe-compatible server (customers, payment methods, PaymentIntents, signed webhooks)')
  .option('--port <port>', 'port to listen on', '12112')
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--webhook-url <url>', 'where to POST signed events')
  .option('--webhook-secret <secret>', 'signing secret (whsec_...)', 'whsec_sandbox')
  .option('--state-file <path>', 'keep objects across restarts in this JSON file')
  .parse()
  .opts<{ port: string; host: string; webhookUrl?: string; webhookSecret: string; stateFile?: string }>();

const sandbox = await StripeSandbox.start({
  port: Number(opts.port),
  host: opts.host,
  ...(opts.webhookUrl ? { webhook: { url: opts.webhookUrl, secret: opts.webhookSecret } } : {}),
  ...(opts.stateFile ? { stateFile: opts.stateFile } : {}),
});
console.log(`Stripe sandbox on ${sandbox.url}: STRIPE_API_BASE=${sandbox.url} STRIPE_SECRET_KEY=sk_test_anything`);
console.log(`Control API: ${sandbox.url}/_sandbox/stats | charges | requests | deliveries, POST /_sandbox/faults | offline | delay | reset, PUT /_sandbox/webhook`);
const stop = () => void sandbox.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
