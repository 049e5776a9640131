// TypeScript declarations of the gryadka package (index.js). Keys are strings (UTF-8), values
// Buffer | Uint8Array | string, versions bigint (uint64), deltas bigint | number (int64).
// A declined precondition resolves with applied: false; failures reject with GryadkaError.
import type { ChannelCredentials, ChannelOptions, Metadata } from '@grpc/grpc-js';

export interface TlsOptions {
  /** PEM CA bundle trusting the proposers' certificates (content, or caFile: a path). Absent = system roots. */
  ca?: string | Buffer;
  caFile?: string;
  /** PEM client certificate chain and key for mutual TLS: both or neither. */
  cert?: string | Buffer;
  certFile?: string;
  key?: string | Buffer;
  keyFile?: string;
  /** The name checked in the proposer's certificate instead of the target's host. */
  serverName?: string;
}

export interface ClientOptions {
  /** Proposers: "host:port", "[v6]:port" or gRPC URIs; "dns:///name:port" expands to every address. */
  targets: string[];
  tls?: TlsOptions;
  /** Deadline of a call without its own, ms (1..86400000). Default 5000. */
  defaultDeadlineMs?: number;
  /** Retries after the first attempt (0..100), only as the retry rule allows. Default 3. */
  retryAttemptsMax?: number;
  /** Backoff between retries of one target, ms. Defaults 20 and 1000. */
  retryBackoffInitialMs?: number;
  retryBackoffMaxMs?: number;
  /** gRPC reconnect backoff cap, ms (100..600000). Default 2000. */
  reconnectBackoffMaxMs?: number;
  /** Largest request/response, bytes. Default 4 MiB. */
  maxMessageBytes?: number;
}

export interface CallOptions {
  /** This call's deadline in ms from now, retries included. Default: defaultDeadlineMs. */
  deadlineMs?: number;
}

export type Bytes = Buffer | Uint8Array | string;

export interface GryadkaRecord {
  value: Buffer;
  /** 0n = absent. */
  version: bigint;
}

export interface GetResult {
  found: boolean;
  record: GryadkaRecord;
}

export interface ChangeResult {
  /** False when the precondition did not hold; record is then the current, unchanged state. */
  applied: boolean;
  record: GryadkaRecord;
  /** Why it declined, in words, when the server says; '' otherwise. */
  declineReason: string;
}

export interface IncrementResult extends ChangeResult {
  /** The value after the increment (meaningless when applied is false). */
  value: bigint;
}

export type Change =
  | 'read'
  | { read: true }
  | { put: Bytes }
  | { putIfAbsent: Bytes }
  | { compareAndSet: { expectedVersion: bigint | number; value: Bytes } }
  | { increment: bigint | number }
  | { append: Bytes }
  | { delete: { expectedVersion?: bigint | number } };

export type Query = 'record' | 'version' | 'none';

export interface ChangeQueryResult {
  applied: boolean;
  declineReason: string;
  /** Present for query 'record'. */
  record?: GryadkaRecord;
  /** Present for query 'version'. */
  version?: bigint;
}

export interface HealthStatus {
  target: string;
  /** null when the call failed (see error). */
  status: 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN' | 'UNKNOWN' | null;
  error?: Error & { code: number; details: string };
}

export class Client {
  /** @throws GryadkaError (INVALID_ARGUMENT) on bad options. */
  constructor(options: ClientOptions);
  get(key: string, call?: CallOptions): Promise<GetResult>;
  put(key: string, value: Bytes, call?: CallOptions): Promise<ChangeResult>;
  putIfAbsent(key: string, value: Bytes, call?: CallOptions): Promise<ChangeResult>;
  compareAndSet(key: string, expectedVersion: bigint | number, value: Bytes, call?: CallOptions): Promise<ChangeResult>;
  increment(key: string, delta: bigint | number, call?: CallOptions): Promise<IncrementResult>;
  append(key: string, suffix: Bytes, call?: CallOptions): Promise<ChangeResult>;
  delete(key: string, options?: { expectedVersion?: bigint | number }, call?: CallOptions): Promise<ChangeResult>;
  changeQuery(key: string, change: Change, query?: Query, call?: CallOptions): Promise<ChangeQueryResult>;
  /** grpc.health.v1 status of `service` (default "gryadka.v1.KV") at every target; never rejects for a target's failure. */
  health(service?: string, call?: CallOptions): Promise<HealthStatus[]>;
  /** The targets after dns: expansion. */
  targets(): Promise<readonly string[]>;
  /** Indexes into targets(): [0] serves key, the rest are its failover order. */
  rank(key: string): Promise<number[]>;
  close(): void;
}

export class GryadkaError extends Error {
  /** The gRPC status code (see `status`). */
  readonly code: number;
  /** e.g. "UNAVAILABLE". */
  readonly codeName: string;
  readonly details: string;
  readonly metadata?: Metadata;
  /** The target of the last attempt, when one was sent. */
  readonly target?: string;
  readonly attempt?: number;
}

export const status: typeof import('@grpc/grpc-js').status;

export const DEFAULTS: Readonly<Required<Omit<ClientOptions, 'targets' | 'tls'>>>;

/** The fixed @grpc/proto-loader options: keepCase, longs as String, enums as String, defaults, oneofs. */
export const LOADER_OPTIONS: Readonly<Record<string, unknown>>;
/** The directory kv.proto was loaded from. */
export const PROTO_DIR: string;
export const packageDefinition: import('@grpc/proto-loader').PackageDefinition;
export const NOTHING_WRITTEN_METADATA_KEY: 'gryadka-nothing-written';

type Callback<T> = (error: (Error & { code: number; details: string; metadata: Metadata }) | null, response?: T) => void;
type RawRecord = { value: Buffer; version: string };
type RawMethod<Req, Res> = {
  (request: Req, callback: Callback<Res>): unknown;
  (request: Req, options: { deadline?: number | Date }, callback: Callback<Res>): unknown;
  (request: Req, metadata: Metadata, options: { deadline?: number | Date }, callback: Callback<Res>): unknown;
};

/** A raw gryadka.v1.KV stub: snake_case fields exactly as in kv.proto, 64-bit integers as decimal strings. */
export interface RawKVStub {
  ChangeQuery: RawMethod<Record<string, unknown>, Record<string, unknown>>;
  Get: RawMethod<{ key: string }, { found: boolean; record: RawRecord }>;
  Put: RawMethod<{ key: string; value: Bytes }, { record: RawRecord }>;
  CompareAndSet: RawMethod<{ key: string; expected_version: string; value: Bytes }, { applied: boolean; record: RawRecord }>;
  Increment: RawMethod<{ key: string; delta: string }, { applied: boolean; value: string; record: RawRecord }>;
  Delete: RawMethod<{ key: string; expected_version?: string }, { applied: boolean; record: RawRecord }>;
  close(): void;
}

/** A raw stub whose requests are checked: a field kv.proto does not have throws a TypeError. */
export function createRawStub(target: string, credentials?: ChannelCredentials, channelOptions?: ChannelOptions): RawKVStub;

/** The 64-bit rendezvous hash shared with the C++ client. */
export function hash64(bytes: string | Uint8Array, seed?: bigint): bigint;

export class Rendezvous {
  constructor(targets: string[]);
  readonly targets: readonly string[];
  rank(key: string | Uint8Array): number[];
  pick(key: string | Uint8Array): number;
}
