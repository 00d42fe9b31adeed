import type { Sql } from './client';

export interface InvoiceDocument {
  filename: string;
  content: Buffer;
  sha256: string;
}

/** First write wins: rendering is deterministic, so a retried render stores nothing new. */
export async function saveInvoiceDocument(sql: Sql, invoiceId: string, doc: InvoiceDocument): Promise<void> {
  await sql`INSERT INTO invoice_documents (invoice_id, filename, content, sha256)
            VALUES (${invoiceId}, ${doc.filename}, ${doc.content}, ${doc.sha256})
            ON CONFLICT (invoice_id) DO NOTHING`;
}

export async function findInvoiceDocument(sql: Sql, invoiceId: string): Promise<InvoiceDocument | undefined> {
  const [row] = await sql<InvoiceDocument[]>`SELECT filename, content, sha256 FROM invoice_documents WHERE invoice_id = ${invoiceId}`;
  return row;
}
