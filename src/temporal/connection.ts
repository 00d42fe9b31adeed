import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';

export interface TemporalConnections {
  readonly client: Client;
  readonly connection: Connection;
  readonly nativeConnection: NativeConnection;
  readonly namespace: string;
  readonly address: string;
  close(): Promise<void>;
}

/**
 * Connects with Temporal's standard environment configuration (`TEMPORAL_ADDRESS`,
 * `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS_*`, `TEMPORAL_PROFILE` and the config file),
 * so Temporal Cloud works with an API key or mTLS and no code change. `address` overrides the profile.
 */
export async function connectTemporal(
  o: { address?: string; namespace?: string; payloadCodec?: PayloadCodec; interceptors?: WorkflowClientInterceptor[] } = {},
): Promise<TemporalConnections> {
  const config = loadClientConnectConfig();
  const options = { ...config.connectionOptions, ...(o.address ? { address: o.address } : {}) };
  const address = options.address ?? 'localhost:7233';
  const namespace = o.namespace ?? config.namespace ?? 'default';
  const connection = await Connection.connect({ ...(options as object), address });
  const nativeConnection = await NativeConnection.connect({ ...options, address });
  return {
    client: new Client({
      connection,
      namespace,
      ...(o.payloadCodec ? { dataConverter: { payloadCodecs: [o.payloadCodec] } } : {}),
      ...(o.interceptors ? { interceptors: { workflow: o.interceptors } } : {}),
    }),
    connection,
    nativeConnection,
    namespace,
    address,
    async close() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}
