import { randomUUID } from 'node:crypto';
import { type LocalEndpoint, serveLocal } from '../http.js';
import { accessKeyOf, type LocalIdentities } from '../iam/identities.js';
import { escapeXml, text } from '../rds/xml.js';

/**
 * STS `AssumeRole` on 127.0.0.1 (query protocol), so that the unchanged SDK credential provider
 * `fromTemporaryCredentials` works against the local stack: the steps assume the one warehouse role, and
 * the keys this endpoint issues make the local Data API see that role's session as the caller.
 * Request constraints are the STS API reference's (AssumeRole: RoleArn 20–2048, RoleSessionName 2–64
 * of `[\w+=,.@-]*`, DurationSeconds 900–43200).
 */

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const XML = 'text/xml';

function errorXml(code: string, message: string): string {
  return `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type>${text('Code', code)}${text('Message', message)}</Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}

export interface AssumedRoleCall {
  caller: string;
  roleArn: string;
  sessionName: string;
}

export class LocalSts {
  readonly identities: LocalIdentities;
  /** Every successful AssumeRole, in order. */
  readonly log: AssumedRoleCall[] = [];
  /** Roles that may be assumed (empty = any): an unknown role is AccessDenied, as an untrusted one is. */
  readonly #roles: ReadonlySet<string>;

  constructor(identities: LocalIdentities, roles: readonly string[] = []) {
    this.identities = identities;
    this.#roles = new Set(roles);
  }

  start(): Promise<LocalEndpoint> {
    return serveLocal(async (request) => {
      const params = new URLSearchParams(
        request.method === 'POST' ? request.body : (request.url.split('?')[1] ?? ''),
      );
      const caller = accessKeyOf(
        typeof request.headers.authorization === 'string' ? request.headers.authorization : undefined,
      );
      const { status, body } = this.handle(params, caller);
      return { status, contentType: XML, body };
    });
  }

  handle(params: URLSearchParams, caller: string | undefined): { status: number; body: string } {
    const action = params.get('Action') ?? '';
    if (action !== 'AssumeRole')
      return {
        status: 400,
        body: errorXml('InvalidAction', `local stack: action ${action} is not implemented`),
      };
    if (caller === undefined)
      return {
        status: 403,
        body: errorXml('MissingAuthenticationToken', 'Request is missing Authentication Token'),
      };
    const roleArn = params.get('RoleArn') ?? '';
    const sessionName = params.get('RoleSessionName') ?? '';
    const duration = Number(params.get('DurationSeconds') ?? '3600');
    const invalid =
      roleArn.length < 20 || roleArn.length > 2048
        ? 'roleArn'
        : !/^[\w+=,.@-]{2,64}$/.test(sessionName)
          ? 'roleSessionName'
          : !Number.isInteger(duration) || duration < 900 || duration > 43_200
            ? 'durationSeconds'
            : undefined;
    if (invalid !== undefined)
      return {
        status: 400,
        body: errorXml(
          'ValidationError',
          `1 validation error detected: Value at '${invalid}' failed to satisfy constraint`,
        ),
      };
    const principal = this.identities.resolve(caller);
    if (this.#roles.size > 0 && !this.#roles.has(roleArn))
      return {
        status: 403,
        body: errorXml(
          'AccessDenied',
          `User: ${principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        ),
      };
    const credentials = this.identities.assumeRole(roleArn, sessionName, duration, new Date());
    this.log.push({ caller, roleArn, sessionName });
    const session = this.identities.resolve(credentials.AccessKeyId);
    const result = [
      `<Credentials>${text('AccessKeyId', credentials.AccessKeyId)}${text('SecretAccessKey', credentials.SecretAccessKey)}${text('SessionToken', credentials.SessionToken)}${text('Expiration', credentials.Expiration.toISOString())}</Credentials>`,
      `<AssumedRoleUser>${text('AssumedRoleId', session.userId)}${text('Arn', session.arn)}</AssumedRoleUser>`,
    ].join('');
    return {
      status: 200,
      body: `<AssumeRoleResponse xmlns="${NAMESPACE}"><AssumeRoleResult>${result}</AssumeRoleResult><ResponseMetadata><RequestId>${escapeXml(randomUUID())}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    };
  }
}
