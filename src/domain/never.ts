/** For the `default` of a switch that handles every case: a compile error when one is added and missed. */
export function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}
