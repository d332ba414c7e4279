import { createHash, randomBytes } from 'node:crypto';

/**
 * Who is calling, as AWS sees it: the access key id of a request's SigV4 signature names the caller.
 * Any key is accepted (there is no IAM here), but keys issued by the local STS stand for a session of
 * an assumed role, and the Data API uses the caller to decide who owns a statement and which database
 * user runs it — the two places where identity changes what AWS does:
 *
 * - "users with the same IAM role or IAM permissions as the runner of an ExecuteStatement or
 *   BatchExecuteStatement API operation can act on the same statement" (management guide, "Considerations
 *   when calling the Amazon Redshift Data API"); the project's policy narrows that further with
 *   `redshift-data:statement-owner-iam-userid = ${aws:userid}`, so the owner is the `aws:userid`;
 * - with temporary IAM credentials the database user is `IAMR:<role name>` for a role and `IAM:<user>`
 *   for an IAM user (management guide, "Using IAM authentication to generate database user credentials").
 */

export interface Principal {
  accessKeyId: string;
  /** `aws:userid`: `<role id>:<session name>` for a role session, the key itself for anything else. */
  userId: string;
  arn: string;
  /** The Redshift user that temporary IAM credentials of this principal become. */
  databaseUser: string;
  /** The role of a role session (its name), for role-level statement listing. */
  roleName?: string;
}

export interface IssuedCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: Date;
}

/** `Credential=<key>/<date>/<region>/<service>/aws4_request` of an `Authorization` header. */
export function accessKeyOf(authorization: string | undefined): string | undefined {
  const match = /Credential=([^/,\s]+)\//.exec(authorization ?? '');
  return match?.[1];
}

/** Role ids look like `AROA` + 17 characters; derived from the ARN so they are stable per role. */
function roleId(roleArn: string): string {
  return `AROA${createHash('sha256').update(roleArn).digest('hex').slice(0, 17).toUpperCase()}`;
}

export class LocalIdentities {
  readonly account: string;
  readonly #sessions = new Map<string, Principal>();

  constructor(account = '123456789012') {
    this.account = account;
  }

  /** The caller behind an access key: a local STS session, or an IAM user named by the key. */
  resolve(accessKeyId: string): Principal {
    return (
      this.#sessions.get(accessKeyId) ?? {
        accessKeyId,
        userId: accessKeyId,
        arn: `arn:aws:iam::${this.account}:user/${accessKeyId}`,
        databaseUser: `IAM:${accessKeyId}`,
      }
    );
  }

  /** STS AssumeRole: temporary credentials whose key stands for `<role>/<session>`. */
  assumeRole(roleArn: string, sessionName: string, durationSeconds: number, now: Date): IssuedCredentials {
    const roleName = roleArn.split('/').pop() ?? roleArn;
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    this.#sessions.set(accessKeyId, {
      accessKeyId,
      userId: `${roleId(roleArn)}:${sessionName}`,
      arn: `arn:aws:sts::${this.account}:assumed-role/${roleName}/${sessionName}`,
      databaseUser: `IAMR:${roleName}`,
      roleName,
    });
    return {
      AccessKeyId: accessKeyId,
      SecretAccessKey: randomBytes(20).toString('base64'),
      SessionToken: randomBytes(32).toString('base64'),
      Expiration: new Date(now.getTime() + durationSeconds * 1000),
    };
  }

  roleIdOf(roleArn: string): string {
    return roleId(roleArn);
  }
}
