import express from 'express';

// The upper bound of bench:webhooks: an Express JSON endpoint that does nothing, in its own process
// like the API it is compared with.
const app = express();
app.post('/webhooks/stripe', express.json({ limit: '1mb' }), (_req, res) => void res.json({ received: true }));
app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
app.listen(Number(process.env.PORT), '127.0.0.1');
