import { randomUUID } from 'node:crypto';
import type { Integration } from '../zero-etl/integrations.js';

/**
 * Hand-written XML for the RDS query protocol. The SDK silently returns `{}` when the
 * `<XxxResponse><XxxResult>` wrapper is wrong, so every reply goes through `response()`.
 */

const NAMESPACE = 'http://rds.amazonaws.com/doc/2014-10-31/';

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** `<name>escaped text</name>`, or nothing for an undefined value. */
export function text(name: string, value: string | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXml(value)}</${name}>`;
}

export function integrationXml(integration: Integration): string {
  const context = Object.entries(integration.additionalEncryptionContext)
    .map(([key, value]) => `<entry>${text('key', key)}${text('value', value)}</entry>`)
    .join('');
  const tags = integration.tags
    .map((tag) => `<Tag>${text('Key', tag.Key)}${text('Value', tag.Value)}</Tag>`)
    .join('');
  const errors = integration.errors
    .map(
      (e) =>
        `<IntegrationError>${text('ErrorCode', e.ErrorCode)}${text('ErrorMessage', e.ErrorMessage)}</IntegrationError>`,
    )
    .join('');
  return [
    text('SourceArn', integration.sourceArn),
    text('TargetArn', integration.targetArn),
    text('IntegrationName', integration.name),
    text('IntegrationArn', integration.arn),
    text('KMSKeyId', integration.kmsKeyId),
    context ? `<AdditionalEncryptionContext>${context}</AdditionalEncryptionContext>` : '',
    text('Status', integration.status),
    `<Tags>${tags}</Tags>`,
    text('DataFilter', integration.dataFilter),
    text('Description', integration.description),
    text('CreateTime', integration.createTime.toISOString()),
    `<Errors>${errors}</Errors>`,
  ].join('');
}

export function response(action: string, result: string): string {
  return `<${action}Response xmlns="${NAMESPACE}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
}

export function errorResponse(code: string, message: string): string {
  return `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type>${text('Code', code)}${text('Message', message)}</Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}
