import { ErrorCode } from '../domain/errors';
import { sendError } from './errors';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Requires `Authorization: Bearer <token>`; compares in constant time. */
export function bearerAuth(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]!.trim()), expected)) {
      res.set('WWW-Authenticate', 'Bearer');
      sendError(res, ErrorCode.UNAUTHORIZED, 'missing or invalid bearer token');
      return;
    }
    next();
  };
}
