import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";

/**
 * The sockets every spoke client of a run shares. Each SDK client otherwise owns an agent with
 * up to 50 sockets per endpoint, kept alive until the client is destroyed: with hundreds of
 * account-regions in flight that is thousands of file descriptors against the Lambda's 1,024
 * (Lambda quotas: "File descriptors 1,024"), and a TLS handshake per client. Credentials are
 * per request (SigV4), not per connection, so one pool per endpoint serves every account: the
 * cap on open sockets is also the cap on requests in flight (HTTP/1.1, one request per socket),
 * and requests beyond it queue in the agent.
 */
export interface SharedSockets {
  readonly max: number;
  readonly httpAgent: HttpAgent;
  readonly httpsAgent: HttpsAgent;
  /** Closes the pool at the end of the run. */
  close(): void;
}

/** A client's destroy() destroys its handler's agents: a shared one must survive it. */
class SharedHttpAgent extends HttpAgent {
  override destroy(): void {}
  close(): void {
    super.destroy();
  }
}

class SharedHttpsAgent extends HttpsAgent {
  override destroy(): void {}
  close(): void {
    super.destroy();
  }
}

export function createSharedSockets(max: number): SharedSockets {
  // lifo: the most recently used socket is reused first, so idle ones age out (keep-alive
  // timeout) instead of all staying warm.
  const options = { keepAlive: true, maxSockets: max, maxTotalSockets: max, scheduling: "lifo" as const };
  const httpAgent = new SharedHttpAgent(options);
  const httpsAgent = new SharedHttpsAgent(options);
  return {
    max,
    httpAgent,
    httpsAgent,
    close() {
      httpAgent.close();
      httpsAgent.close();
    },
  };
}
