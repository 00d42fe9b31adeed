import { runRole } from './run-role';

// Production worker: needs DATABASE_URL; Temporal from TEMPORAL_ADDRESS / the Temporal env config.
void runRole({ worker: true, api: false, embedded: false });
