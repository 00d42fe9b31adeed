import { Resend } from 'resend';

export interface OutgoingEmail {
  readonly idempotencyKey: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  readonly attachments: readonly { filename: string; contentType: string; content: Buffer }[];
}

/** Delivers one email. Throws `MailerError` when the provider refuses or fails. */
export interface Mailer {
  readonly transport: 'outbox' | 'resend';
  deliver(email: OutgoingEmail): Promise<{ providerMessageId: string | null }>;
}

/** Thrown when the provider did not accept an email; says whether a retry can help. */
export class MailerError extends Error {
  override readonly name = 'MailerError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly statusCode: number | null,
    readonly retryAfterMs?: number,
    /**
     * The provider already accepted an email under this idempotency key (Resend's 409
     * `invalid_idempotent_request`: the key was used with other content). It was sent.
     */
    readonly alreadyAccepted = false,
  ) {
    super(message);
  }
}

/**
 * Resend, with the email's idempotency key forwarded so the provider de-duplicates retries too.
 * The SDK returns errors as values: 429 and 5xx (and network failures) are retryable, honouring
 * `retry-after`; other 4xx are permanent.
 */
export function createResendMailer(apiKey: string, baseUrl?: string): Mailer {
  const resend = new Resend(apiKey, baseUrl ? { baseUrl } : undefined);
  return {
    transport: 'resend',
    async deliver(email) {
      const { data, error, headers } = await resend.emails.send(
        {
          from: email.from,
          to: [...email.to],
          ...(email.cc.length > 0 ? { cc: [...email.cc] } : {}),
          subject: email.subject,
          html: email.html,
          text: email.text,
          attachments: email.attachments.map((a) => ({
            filename: a.filename,
            content: a.content.toString('base64'),
            contentType: a.contentType,
          })),
        },
        { idempotencyKey: email.idempotencyKey },
      );
      if (error) {
        const status = (error as { statusCode?: number | null }).statusCode ?? null;
        const retryable = status === null || status === 429 || status >= 500 || error.name === 'concurrent_idempotent_requests';
        const alreadyAccepted = status === 409 && error.name === 'invalid_idempotent_request';
        throw new MailerError(
          `resend refused the email (${status ?? 'no response'} ${error.name}): ${error.message}`,
          retryable,
          status,
          retryAfterMs(headers),
          alreadyAccepted,
        );
      }
      return { providerMessageId: data?.id ?? null };
    },
  };
}

function retryAfterMs(headers: Record<string, string> | null | undefined): number | undefined {
  const value = headers?.['retry-after'];
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** `jane.doe@customer.test` → `j…@customer.test`: enough to tell recipients apart in a log, not to mail them. */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  return at <= 0 ? '…' : `${address[0]}…${address.slice(at)}`;
}

/** No provider configured: the email log in Postgres is the outbox; each email is printed too (recipient masked). */
export function createOutboxMailer(print: (line: string) => void): Mailer {
  return {
    transport: 'outbox',
    async deliver(email) {
      const files = email.attachments.map((a) => a.filename).join(', ');
      const cc = email.cc.length > 0 ? ` (cc ${email.cc.map(maskAddress).join(', ')})` : '';
      print(
        `✉  outbox → ${email.to.map(maskAddress).join(', ')}${cc}: ${email.subject}${files ? ` [${files}]` : ''} (${email.idempotencyKey})`,
      );
      return { providerMessageId: null };
    },
  };
}
