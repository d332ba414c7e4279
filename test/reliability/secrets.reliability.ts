import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, Recorder } from './support/results.js';

/**
 * No secrets in the project files, the logs or the state payloads — only secret ARNs. The full local
 * scenario (`npm start`: refreshes, a resync, an integration failure and its recovery) runs in a child
 * process with the Lambda loggers at INFO and with canary credentials in its environment; every log
 * line and every state input/output it produced is scanned for credential-like strings.
 */

const recorder = new Recorder('secrets');
const SECRETS = {
  description:
    'The curated project, the compiled manifest and serverless.yml; every log line (Powertools JSON at INFO) and every state input/output of a full local scenario run with canary credentials in the environment. Defined outcome: no credential-like string and no canary anywhere; secret ARNs are allowed.',
  bound: 'one full scenario run; every line scanned',
};

/** Credentials planted in the child's environment: if any of them surfaces, something logged it. */
const CANARIES = {
  AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEZeoCanarySessionToken0000000000000000000000000000000',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzeoCanarySecretKey',
  AWS_ACCESS_KEY_ID: 'AKIAZEOCANARY0000000',
  PGPASSWORD: 'zeo-canary-pg-password',
};

const PATTERNS: [string, RegExp][] = [
  ['AWS access key id', /\b(?:AKIA|ASIA|AROA|AIDA)[0-9A-Z]{16}\b/],
  ['AWS secret access key', /(?:aws_?secret_?access_?key|secretAccessKey)["'\s:=]+[A-Za-z0-9/+=]{30,}/i],
  ['session token', /(?:aws_?session_?token|sessionToken|x-amz-security-token)["'\s:=]+[A-Za-z0-9/+=]{16,}/i],
  ['SigV4 signature', /(?:AWS4-HMAC-SHA256\s+Credential=|X-Amz-Signature=)/i],
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['password assignment', /\b(?:password|passwd|pwd)\b["']?\s*[:=]\s*["']?[^\s"',}{]{3,}/i],
  ['credentials in a URL', /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@"']+:[^/\s@"']+@/i],
  [
    'bearer token / JWT',
    /(?:Bearer\s+[A-Za-z0-9._-]{20,}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})/,
  ],
  ['Secrets Manager secret value', /"SecretString"|GetSecretValue.*"Value"/],
];

function scan(text: string, where: string): string[] {
  const hits: string[] = [];
  for (const [name, value] of Object.entries(CANARIES)) {
    if (text.includes(value)) hits.push(`${where}: canary ${name}`);
  }
  for (const [name, pattern] of PATTERNS) {
    const m = pattern.exec(text);
    if (m) hits.push(`${where}: ${name}: ${m[0].slice(0, 60)}`);
  }
  return hits;
}

const scratch = mkdtempSync(join(tmpdir(), 'zeo-secrets-'));
let logLines: string[] = [];
let payloadLines: string[] = [];
let jsonLogLines = 0;

beforeAll(async () => {
  const payloads = join(scratch, 'payloads.jsonl');
  const env: NodeJS.ProcessEnv = { ...process.env, ...CANARIES, POWERTOOLS_LOG_LEVEL: 'INFO', NO_COLOR: '1' };
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'test/reliability/support/scenario-capture.ts'), payloads],
    { cwd: REPO_ROOT, env, timeout: 480_000, maxBuffer: 512 * 1024 * 1024 },
  );
  logLines = `${stdout}\n${stderr}`.split('\n').filter((l) => l.trim().length > 0);
  jsonLogLines = logLines.filter((l) => l.startsWith('{') && l.includes('"level"')).length;
  payloadLines = existsSync(payloads) ? readFileSync(payloads, 'utf8').split('\n').filter(Boolean) : [];
}, 600_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = join(dir, entry);
    return statSync(full).isDirectory() ? files(full) : [full];
  });
}

describe('No secrets in project files, logs or state payloads', () => {
  it('the scanner finds what it looks for (planted samples), and lets secret ARNs through', () => {
    const samples = [
      CANARIES.AWS_SECRET_ACCESS_KEY,
      'AKIAIOSFODNN7EXAMPLE',
      '"secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
      'Authorization: AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/redshift-data/aws4_request',
      '-----BEGIN RSA PRIVATE KEY-----',
      '{"password": "hunter22"}',
      'postgres://admin:s3cret@db.internal:5432/dev',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    ];
    for (const sample of samples) expect(scan(sample, 'sample'), sample).not.toEqual([]);
    expect(
      scan('"secretArn":"arn:aws:secretsmanager:us-east-1:123456789012:secret:zeo-redshift-AbCdEf"', 'arn'),
    ).toEqual([]);
  });

  it('the curated project, the compiled manifest and serverless.yml hold no credentials', () => {
    const targets = [
      ...files(join(REPO_ROOT, 'examples/shop/curated')),
      join(REPO_ROOT, '.build/manifest.json'),
      join(REPO_ROOT, 'serverless.yml'),
    ];
    const hits = targets.flatMap((f) => scan(readFileSync(f, 'utf8'), relative(REPO_ROOT, f)));
    recorder.fault('Secrets in project files, logs and state payloads', SECRETS, {
      outcome:
        hits.length === 0
          ? `project files clean (${targets.length} files)`
          : `credential-like text: ${hits.length}`,
      unhandled: false,
    });
    expect(hits).toEqual([]);
  });

  it('the log lines of a full local scenario at INFO hold no credentials', () => {
    expect(logLines.some((l) => l.includes('scenario finished'))).toBe(true);
    // At INFO the steps log what matters: every destructive step (DESIGN §7) and every failure.
    expect(
      logLines.some((l) => l.includes('"deleting zero-ETL integration"')),
      'the delete was logged',
    ).toBe(true);
    expect(
      logLines.some((l) => l.includes('"creating zero-ETL integration"')),
      'the create was logged',
    ).toBe(true);
    expect(jsonLogLines).toBeGreaterThanOrEqual(2);
    const hits = logLines.flatMap((line, i) => scan(line, `log line ${i + 1}`));
    recorder.fault('Secrets in project files, logs and state payloads', SECRETS, {
      outcome:
        hits.length === 0
          ? `log lines clean (${logLines.length} lines, ${jsonLogLines} JSON log records)`
          : `credential-like text: ${hits.length}`,
      unhandled: false,
    });
    expect(hits.slice(0, 10)).toEqual([]);
  });

  it('the state inputs and outputs of every execution hold no credentials', () => {
    expect(payloadLines.length).toBeGreaterThan(100);
    const hits = payloadLines.flatMap((line, i) => scan(line, `state payload ${i + 1}`));
    recorder.fault('Secrets in project files, logs and state payloads', SECRETS, {
      outcome:
        hits.length === 0
          ? `state payloads clean (${payloadLines.length} inputs/outputs)`
          : `credential-like text: ${hits.length}`,
      unhandled: false,
    });
    expect(hits.slice(0, 10)).toEqual([]);
  });
});
