import { creditChange, creditRefusal, recipientsFor, type Contact, type CreditFacts } from '../../src/domain/customer';

const contact = (email: string, role: Contact['role'], escalateFrom: Contact['escalateFrom'] = null): Contact => ({
  email,
  name: null,
  role,
  escalateFrom,
});

describe('recipientsFor', () => {
  const contacts = [
    contact('ap@acme.test', 'billing'),
    contact('AP@acme.test', 'cc'),
    contact('controller@acme.test', 'cc'),
    contact('cfo@acme.test', 'escalation', 'final_notice'),
    contact('ceo@acme.test', 'escalation', 'handoff_notice'),
  ];

  it.each([
    ['invoice_issued', ['controller@acme.test']],
    ['reminder_firm', ['controller@acme.test']],
    ['final_notice', ['controller@acme.test', 'cfo@acme.test']],
    ['handoff_notice', ['controller@acme.test', 'cfo@acme.test', 'ceo@acme.test']],
  ] as const)('%s: billing in To, CC and escalations from their template on in CC, each address once', (template, cc) => {
    expect(recipientsFor(contacts, template)).toEqual({ to: ['ap@acme.test'], cc });
  });
});

describe('credit rules', () => {
  const facts = (f: Partial<CreditFacts>): CreditFacts => ({ hold: null, autoRelease: true, limits: [], exposure: [], ...f });
  const eur = (openCents: number, overdueCents = 0, handedOffCents = 0) => ({ currency: 'EUR', openCents, overdueCents, handedOffCents });

  it('places a hold when exposure passes a limit, not when it reaches it', () => {
    const limits = [{ currency: 'EUR', limitCents: 10_000 }];
    expect(creditChange(facts({ limits, exposure: [eur(10_000)] }))).toBeNull();
    expect(creditChange(facts({ limits, exposure: [eur(10_001)] }))).toMatchObject({ kind: 'place', source: 'limit' });
    // Another currency's exposure does not count against this limit.
    expect(
      creditChange(facts({ limits, exposure: [{ currency: 'USD', openCents: 99_999, overdueCents: 0, handedOffCents: 0 }] })),
    ).toBeNull();
  });

  it.each([
    ['policy', true, [eur(500)], 'release'],
    ['limit', true, [eur(500)], 'release'],
    ['policy', true, [eur(500, 100)], null],
    ['policy', true, [eur(0, 0, 100)], null],
    ['policy', false, [], null],
    ['api', true, [], null],
  ] as const)('a hold placed by %s (auto-release %s) with %j → %s', (source, autoRelease, exposure, kind) => {
    const change = creditChange(facts({ hold: { source, reason: 'r' }, autoRelease, exposure }));
    expect(change?.kind ?? null).toBe(kind);
  });

  it('keeps a limit hold while the exposure is over the limit, even with nothing overdue', () => {
    expect(
      creditChange(facts({ hold: { source: 'limit', reason: 'r' }, limits: [{ currency: 'EUR', limitCents: 100 }], exposure: [eur(101)] })),
    ).toBeNull();
  });

  it('refuses new credit on hold, and past the limit counting the new invoice', () => {
    const limits = [{ currency: 'EUR', limitCents: 10_000 }];
    expect(creditRefusal(facts({ hold: { source: 'api', reason: 'bounced' } }), 'EUR', 1)).toMatchObject({ code: 'CREDIT_HOLD' });
    expect(creditRefusal(facts({ limits, exposure: [eur(6_000)] }), 'EUR', 4_000)).toBeNull();
    expect(creditRefusal(facts({ limits, exposure: [eur(6_000)] }), 'EUR', 4_001)).toMatchObject({ code: 'CREDIT_LIMIT_EXCEEDED' });
    expect(creditRefusal(facts({ limits, exposure: [eur(6_000)] }), 'USD', 1_000_000)).toBeNull();
  });
});
