import { runRole } from './run-role';

// Production HTTP API: needs DATABASE_URL and API_TOKEN; Temporal from TEMPORAL_ADDRESS / env config.
void runRole({ worker: false, api: true, embedded: false });
