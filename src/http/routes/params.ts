import { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';

/** A path id that is not a UUID cannot exist: answer 404 rather than leak a database error. */
export function uuidParam(value: string | string[] | undefined, what: string): string {
  const id = Array.isArray(value) ? value[0] : value;
  if (!id || !z.uuid().safeParse(id).success) throw new DomainError(ErrorCode.NOT_FOUND, `${what} ${id ?? ''} does not exist`);
  return id;
}
