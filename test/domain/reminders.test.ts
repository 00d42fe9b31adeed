import { mostSevere, nextSend, reminderNotWanted, reminderSettings, type ReminderItem } from '../../src/domain/reminders';

const item = (key: string, dueAt: string, o: Partial<ReminderItem> = {}): ReminderItem => ({
  key,
  invoiceId: key,
  invoiceNumber: key,
  template: 'reminder_overdue',
  stepIndex: 0,
  dueAt,
  sendAlone: false,
  attachPdf: false,
  window: null,
  timeZone: 'Europe/Berlin',
  ...o,
});
const settings = reminderSettings({ groupingWindow: '1h', minGap: '2d' });

describe('nextSend', () => {
  it('closes a batch a window after the first reminder waiting, taking everything waiting', () => {
    const next = nextSend([item('b', '2026-12-07T10:30:00Z'), item('a', '2026-12-07T10:00:00Z')], null, settings);
    expect(next).toMatchObject({ kind: 'batch', at: Date.parse('2026-12-07T11:00:00Z') });
    expect(next?.kind === 'batch' && next.items.map((i) => i.key)).toEqual(['b', 'a']);
  });

  it('waits for the minimum gap after the last email', () => {
    expect(nextSend([item('a', '2026-12-07T10:00:00Z')], '2026-12-06T12:00:00Z', settings)?.at).toBe(Date.parse('2026-12-08T12:00:00Z'));
  });

  it("moves a batch into its first reminder's business hours, on the customer's calendar", () => {
    const window = { days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const, start: '09:00', end: '17:00' };
    // Friday 16:30 Berlin + 1 h is after closing: Monday 09:00 Berlin (08:00 UTC).
    const next = nextSend([item('a', '2026-12-04T15:30:00Z', { window: { ...window, days: [...window.days] } })], null, settings);
    expect(next?.at).toBe(Date.parse('2026-12-07T08:00:00Z'));
  });

  it('sends a notice that goes alone at once, outside grouping and the gap', () => {
    const pending = [
      item('a', '2026-12-07T10:00:00Z'),
      item('final', '2026-12-07T10:05:00Z', { sendAlone: true, template: 'final_notice' }),
    ];
    expect(nextSend(pending, '2026-12-07T09:00:00Z', settings)).toMatchObject({
      kind: 'alone',
      at: Date.parse('2026-12-07T10:05:00Z'),
      item: { key: 'final' },
    });
    expect(nextSend([], null, settings)).toBeNull();
  });

  it('takes the tone of the most severe reminder', () => {
    expect(mostSevere([{ template: 'reminder_upcoming' }, { template: 'reminder_firm' }, { template: 'reminder_overdue' }])).toBe(
      'reminder_firm',
    );
  });
});

describe('reminderNotWanted', () => {
  const open = { status: 'open', amountDueCents: 100, disputed: false, promisedDate: null, promiseDeadline: null };
  const now = Date.parse('2026-12-07T10:00:00Z');
  it.each([
    [{ ...open }, false, null],
    [{ ...open, status: 'paid', amountDueCents: 0 }, false, 'the invoice is paid'],
    [{ ...open, status: 'void' }, false, 'the invoice is void'],
    [{ ...open, disputed: true }, false, 'the invoice is disputed'],
    [
      { ...open, promisedDate: '2026-12-10', promiseDeadline: new Date('2026-12-10T22:59:59Z') },
      false,
      'payment is promised by 2026-12-10',
    ],
    [{ ...open, promisedDate: '2026-12-01', promiseDeadline: new Date('2026-12-01T22:59:59Z') }, false, null],
    [{ ...open, status: 'uncollectible' }, false, 'the invoice is uncollectible'],
    [{ ...open, status: 'uncollectible' }, true, null],
  ])('%j (alone: %s) → %s', (invoice, sendAlone, why) => {
    expect(reminderNotWanted(invoice, { sendAlone }, now)).toBe(why);
  });
});
