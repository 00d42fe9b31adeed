import { createHash, timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import express, { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { ErrorCode } from '../../domain/errors';
import { PayloadDecryptionError } from '../../temporal/codec';
import type { HttpContext } from '../context';
import { parseBody, sendError } from '../errors';
import { hasDashboardSession } from './dashboard';

const base64 = z
  .string()
  .max(8 * 1024 * 1024)
  .regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
/** The codec server protocol: Temporal's `Payloads` message in proto3 JSON (bytes as base64). */
const payloadsSchema = z.object({
  payloads: z
    .array(
      z.object({
        metadata: z.record(z.string().max(256), base64).optional(),
        data: base64.optional(),
      }),
    )
    .max(1000, 'at most 1,000 payloads per call'),
});

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Temporal's remote codec protocol, so the Web UI and `temporal --codec-endpoint` show what the
 * engine encrypted: `POST /codec/decode` and `/codec/encode`. A browser may call it only from an
 * allowed origin (the Temporal UI's; CORS with credentials); every call must be authorised, by
 * `Authorization: Bearer <API token>` (the CLI's `--codec-auth`) or a dashboard session cookie
 * (the UI's "include cross-origin credentials").
 */
export function codecRoutes(ctx: HttpContext, codec: PayloadCodec, allowedOrigins: readonly string[]): Router {
  const router = Router();
  const expected = digest(ctx.apiToken);

  const cors: RequestHandler = (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    if (origin === undefined) return next();
    if (!allowedOrigins.includes(origin)) {
      sendError(res, ErrorCode.ORIGIN_NOT_ALLOWED, `origin ${origin} may not call the codec server (CODEC_CORS_ORIGINS)`);
      return;
    }
    res.set({
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Methods': 'POST, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Namespace',
      'Access-Control-Max-Age': '600',
    });
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
  const authorised = async (req: Request): Promise<boolean> => {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1]?.trim();
    if (bearer !== undefined) return timingSafeEqual(digest(bearer), expected);
    return hasDashboardSession(ctx, req);
  };
  const auth: RequestHandler = (req, res, next) => {
    authorised(req).then(
      (ok) => {
        if (ok) return next();
        res.set('WWW-Authenticate', 'Bearer');
        sendError(res, ErrorCode.UNAUTHORIZED, 'the codec server needs the API token (Authorization: Bearer) or a dashboard session');
      },
      (err: unknown) => next(err),
    );
  };
  const namespace: RequestHandler = (req, res, next) => {
    const asked = req.get('x-namespace');
    if (asked !== undefined && asked !== ctx.namespace) {
      sendError(res, ErrorCode.NOT_FOUND, `this codec server serves namespace ${ctx.namespace}, not ${asked}`);
      return;
    }
    next();
  };

  router.use(cors);
  router.use(auth);
  router.use(namespace);
  router.use(express.json({ limit: '16mb', strict: true }));
  const convert =
    (direction: 'encode' | 'decode'): RequestHandler =>
    async (req, res) => {
      if (!req.is('application/json')) {
        sendError(res, ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send JSON with Content-Type: application/json');
        return;
      }
      const body = parseBody(payloadsSchema, req.body);
      const payloads = temporal.api.common.v1.Payloads.fromObject(body).payloads as Payload[];
      try {
        const converted = direction === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
        res.json(
          temporal.api.common.v1.Payloads.toObject(temporal.api.common.v1.Payloads.create({ payloads: converted }), { bytes: String }),
        );
      } catch (err) {
        if (!(err instanceof PayloadDecryptionError)) throw err;
        sendError(res, ErrorCode.PAYLOAD_UNREADABLE, err.message);
      }
    };
  router.post('/decode', convert('decode'));
  router.post('/encode', convert('encode'));
  return router;
}
