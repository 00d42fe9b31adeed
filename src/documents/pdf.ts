import PDFDocument from 'pdfkit';

/**
 * An A4 document whose bytes are a function of its content: its dates are `date` (pdfkit derives the
 * file id from them), and only built-in fonts are used. `done` gives the bytes once `doc.end()` is called.
 */
export function openPdf(o: { title: string; author: string; date: string }): { doc: PDFKit.PDFDocument; done: Promise<Buffer> } {
  const stamp = new Date(`${o.date}T00:00:00Z`);
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: {
      Title: o.title,
      Author: o.author,
      Creator: 'collections-engine',
      Producer: 'collections-engine',
      CreationDate: stamp,
      ModDate: stamp,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  return { doc, done };
}
