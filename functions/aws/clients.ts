import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { EC2Client } from "@aws-sdk/client-ec2";
import { IAMClient } from "@aws-sdk/client-iam";
import { ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { S3Client } from "@aws-sdk/client-s3";
import { SSMClient } from "@aws-sdk/client-ssm";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import { AdaptiveRetryStrategy, type RateLimiter } from "@smithy/core/retry";
import type { AuthScheme, AwsCredentialIdentity, AwsCredentialIdentityProvider, RequestSigner, RetryStrategyV2 } from "@smithy/types";
import { globalEventsRegion, partitionOf } from "../config/regions.js";
import { leanQueryReads } from "./lean-query.js";
import { yieldingTurns } from "./loop-turns.js";
import type { SharedSockets } from "./sockets.js";
import { gateWrites, type GatedClient } from "./write-gate.js";

/** Any SDK v3 client class: built from the shared config, closed with destroy(). */
export type ClientClass<C extends { destroy(): void }> = new (config: {
  region: string;
  credentials: AwsCredentialIdentityProvider;
  retryMode: string;
  maxAttempts: number;
  retryStrategy?: RetryStrategyV2;
  requestHandler?: { httpAgent: SharedSockets["httpAgent"]; httpsAgent: SharedSockets["httpsAgent"]; socketAcquisitionWarningTimeout: number };
}) => C;

/** What a run shares across the account-region's clients (both optional: tests and the CLI go without). */
export interface SpokeClientOptions {
  /**
   * The account-region's CloudFormation budget (rate-limit.ts AdaptiveRateLimiter), shared by every
   * CloudFormation client created for it: it takes the place of the adaptive retry's own per-client
   * limiter, so all the account-region's CloudFormation calls draw on one bucket.
   */
  cloudformationRateLimiter?: RateLimiter;
  /** The run's socket pool (sockets.ts). */
  sockets?: SharedSockets;
  /** The lean request path for CloudFormation's hot reads (lean-query.ts); default on. Off: every call takes the SDK's stack (bench/request-cost.ts compares). */
  lean?: boolean;
}

/**
 * The SDK clients driftguard uses inside one spoke account-region; one set per account-region.
 * Clients are created on first use, so a scan only opens what its stacks need, and a remediator
 * for a new service asks `client(XyzClient)` instead of adding a field here.
 */
export interface SpokeClients {
  accountId: string;
  region: string;
  readonly cloudformation: CloudFormationClient;
  readonly iam: IAMClient;
  readonly ec2: EC2Client;
  readonly s3: S3Client;
  readonly cloudtrail: CloudTrailClient;
  /** Reads tags of resource types without a remediator (exemption check); absent = not checked. */
  readonly tagging?: ResourceGroupsTaggingAPIClient;
  /** The account-region's client of any service, created once on first use. */
  client<C extends { destroy(): void }>(ctor: ClientClass<C>): C;
  /** Closes the clients created so far: they hold keep-alive sockets. */
  destroy(): void;
}

/**
 * Adaptive retry backs off on Throttling and rate-limits the client itself, which matters when
 * hundreds of stacks share one account-region's CloudFormation API quota.
 */
export const RETRY = { retryMode: "adaptive", maxAttempts: 8 } as const;

/**
 * Without `cacheMiddleware` the SDK resolves (copies, sorts and composes) each client's middleware
 * stack on every send (smithy Client.send); with it, once per command class and client. Every
 * middleware driftguard adds (the write gate) is added when the client is made, before its first
 * send, as the cache requires. Measured (issue 19, --cpu-prof of the hub): resolving the stack was
 * the largest single SDK cost per request.
 */
const CLIENT_TUNING = { cacheMiddleware: true } as const;

/**
 * Requests queue for the shared sockets by design (sockets.ts); the SDK warns on the console when
 * one waits 3 s for a socket, which in a scan of thousands of stacks paced by their buckets is
 * routine (533 warnings in one benchmark run). A minute's wait is not: then it still warns.
 */
const SOCKET_WAIT_WARNING_MS = 60_000;

/**
 * Without a `signer` in its config, a client builds a new SignatureV4 for every request, from a
 * copy of its whole resolved config (@aws-sdk/core httpAuthSchemes, resolveAwsSdkSigV4Config's
 * `signer`): 2.1 % of the hub's CPU in a 500-stack scan's profile (issue 19), for a signer whose
 * inputs never change within one client. One signer per client and auth scheme instead, built by
 * the SDK's own factory the first time; it reads the credentials from the client's provider on
 * every signature and is handed the (skew-corrected) signing date each time, so nothing it
 * holds goes stale.
 */
export function reuseSigner<C>(client: C): C {
  const config = (client as { config: { signer?: (scheme?: AuthScheme) => Promise<RequestSigner> } }).config;
  const build = config.signer;
  if (!build) return client;
  const signers = new Map<string, Promise<RequestSigner>>();
  config.signer = (scheme) => {
    const key = `${scheme?.name}\u0000${scheme?.signingRegion}\u0000${scheme?.signingName}`;
    let signer = signers.get(key);
    if (!signer) {
      signer = build(scheme).then(keepSigningKeys);
      signers.set(key, signer);
      signer.catch(() => signers.delete(key));
    }
    return signer;
  };
  return client;
}

/** SignatureV4's derived-key step (@smithy/signature-v4 `getSigningKey`, an instance method). */
type KeyDeriving = { getSigningKey(credentials: AwsCredentialIdentity, region: string, shortDate: string, service?: string): Promise<Uint8Array> };

/**
 * SigV4's signing key depends only on the secret key, the date, the region and the service
 * (AWS General Reference, "Create a signed AWS API request": kSigning = HMAC chain of those). The
 * SDK keeps derived keys in one process-wide cache of 50 (MAX_CACHE_SIZE), keyed by a fresh HMAC
 * of the credentials on every request: a scan with 80 account-regions in flight, each signing
 * for CloudFormation, S3 and EC2, needs hundreds of entries, so the cache thrashes and a request
 * pays five HMACs (the key HMAC and the four-step derivation) instead of none. One client signs
 * for one account-region and service, so its signer keeps its own key per date and scope, reused
 * while the credentials are the same strings (compared, not hashed); new credentials or a new day
 * derive a new key through the SDK's own function.
 */
function keepSigningKeys(signer: RequestSigner): RequestSigner {
  const deriving = signer as RequestSigner & Partial<KeyDeriving>;
  const derive = deriving.getSigningKey?.bind(signer);
  if (!derive) return signer;
  const kept = new Map<string, { accessKeyId: string; secretAccessKey: string; sessionToken: string | undefined; key: Promise<Uint8Array> }>();
  deriving.getSigningKey = (credentials, region, shortDate, service) => {
    const scope = `${shortDate}\u0000${region}\u0000${service ?? ""}`;
    const entry = kept.get(scope);
    if (entry && entry.accessKeyId === credentials.accessKeyId && entry.secretAccessKey === credentials.secretAccessKey && entry.sessionToken === credentials.sessionToken)
      return entry.key;
    // One scope per day per client: the previous day's key is dropped with it.
    if (!entry && kept.size >= 4) kept.clear();
    const key = derive(credentials, region, shortDate, service);
    kept.set(scope, { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken, key });
    key.catch(() => kept.delete(scope));
    return key;
  };
  return signer;
}

/** Services whose endpoint is global: IAM's is in the partition's global-service region (us-east-1 for aws). */
const GLOBAL_SERVICES: ReadonlySet<ClientClass<{ destroy(): void }>> = new Set([IAMClient]);

export function createSpokeClients(accountId: string, region: string, credentials: AwsCredentialIdentityProvider, options: SpokeClientOptions = {}): SpokeClients {
  const created = new Map<ClientClass<{ destroy(): void }>, { destroy(): void }>();
  const { cloudformationRateLimiter: rateLimiter, sockets, lean = true } = options;
  function client<C extends { destroy(): void }>(ctor: ClientClass<C>): C {
    let c = created.get(ctor) as C | undefined;
    if (!c) {
      const clientRegion = GLOBAL_SERVICES.has(ctor) ? globalEventsRegion(partitionOf(region)) : region;
      const retryStrategy = rateLimiter && (ctor as unknown) === CloudFormationClient ? { retryStrategy: new AdaptiveRetryStrategy(RETRY.maxAttempts, { rateLimiter }) } : {};
      const requestHandler = sockets ? { requestHandler: { httpAgent: sockets.httpAgent, httpsAgent: sockets.httpsAgent, socketAcquisitionWarningTimeout: SOCKET_WAIT_WARNING_MS } } : {};
      // Every spoke client carries the write gate (write-gate.ts): a command that changes the
      // member account is sent only as a step the apply path approved after the privilege invariants.
      c = gateWrites(new ctor({ region: clientRegion, credentials, ...RETRY, ...CLIENT_TUNING, ...retryStrategy, ...requestHandler }) as C & GatedClient);
      // Bursts of sends take turns with the event loop (loop-turns.ts).
      yieldingTurns(c as C & GatedClient);
      reuseSigner(c);
      // The scan's hot CloudFormation reads skip the rest of the SDK's stack (lean-query.ts).
      if ((ctor as unknown) === CloudFormationClient && lean) leanQueryReads(c as C & GatedClient & { config: object });
      created.set(ctor, c);
    }
    return c;
  }
  return {
    accountId,
    region,
    get cloudformation() {
      return client(CloudFormationClient);
    },
    get iam() {
      return client(IAMClient);
    },
    get ec2() {
      return client(EC2Client);
    },
    get s3() {
      return client(S3Client);
    },
    get cloudtrail() {
      return client(CloudTrailClient);
    },
    get tagging() {
      return client(ResourceGroupsTaggingAPIClient);
    },
    client,
    destroy() {
      for (const c of created.values()) c.destroy();
      created.clear();
    },
  };
}

/**
 * Spoke client sets made on first use and kept: one credential provider per account (one
 * AssumeRole session, refreshed by the provider), one client set per account-region. The event
 * path keeps it for the container's life, the CLI's apply for one apply; destroy() closes every
 * set it opened (they hold keep-alive sockets).
 */
export interface SpokeClientPool {
  clientsFor(accountId: string, region: string): SpokeClients;
  destroy(): void;
}

export function spokeClientPool(
  credentialsOf: (accountId: string) => AwsCredentialIdentityProvider,
  optionsFor: (accountId: string, region: string) => SpokeClientOptions = () => ({}),
): SpokeClientPool {
  const providers = new Map<string, AwsCredentialIdentityProvider>();
  const opened = new Map<string, SpokeClients>();
  const credentialsFor = (accountId: string) => {
    let provider = providers.get(accountId);
    if (!provider) {
      provider = credentialsOf(accountId);
      providers.set(accountId, provider);
    }
    return provider;
  };
  return {
    clientsFor(accountId, region) {
      const key = `${accountId}/${region}`;
      let clients = opened.get(key);
      if (!clients) {
        clients = createSpokeClients(accountId, region, credentialsFor(accountId), optionsFor(accountId, region));
        opened.set(key, clients);
      }
      return clients;
    },
    destroy() {
      for (const clients of opened.values()) clients.destroy();
      opened.clear();
    },
  };
}

/** The hub Lambda's own clients, on its execution role's credentials (the SDK default chain). */
export interface HubClients {
  organizations: OrganizationsClient;
  sts: STSClient;
  s3: S3Client;
  sns: SNSClient;
  /** Chat webhook URLs (report/webhooks.ts); optional so clients built for tests need not carry them. */
  ssm?: SSMClient;
  secretsManager?: SecretsManagerClient;
}

/** `credentials` defaults to the SDK's chain (the Lambda's role); the sandbox tests pass the hub role's session. */
export function createHubClients(region: string, credentials?: AwsCredentialIdentityProvider | AwsCredentialIdentity): HubClients {
  const common = { region, ...RETRY, ...CLIENT_TUNING, ...(credentials ? { credentials } : {}) };
  return {
    // Organizations is global: the SDK resolves any commercial region to its us-east-1 endpoint.
    organizations: reuseSigner(new OrganizationsClient(common)),
    sts: reuseSigner(new STSClient(common)),
    s3: reuseSigner(new S3Client(common)),
    sns: reuseSigner(new SNSClient(common)),
    ssm: reuseSigner(new SSMClient(common)),
    secretsManager: reuseSigner(new SecretsManagerClient(common)),
  };
}
