/**
 * A seller's LWA credentials, from the environment variables or the secrets file its mapping
 * file names. The values are never logged; errors name the variable or file, not the value.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { SellerFile } from '../mapping/schema.ts';
import { AmazonConfigError } from './errors.ts';

export interface LwaCredentials {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

export function resolveCredentials(seller: SellerFile, env: NodeJS.ProcessEnv = process.env): LwaCredentials {
  const c = seller.credentials;
  if ('secretsFile' in c) {
    let parsed: Record<string, unknown>;
    try {
      parsed = parseYaml(readFileSync(c.secretsFile, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new AmazonConfigError(`seller ${seller.id}: cannot read the secrets file ${c.secretsFile}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
    const get = (k: string) => {
      const v = parsed?.[k];
      if (typeof v !== 'string' || v === '') throw new AmazonConfigError(`seller ${seller.id}: the secrets file ${c.secretsFile} has no ${k}`);
      return v;
    };
    return { clientId: get('clientId'), clientSecret: get('clientSecret'), refreshToken: get('refreshToken') };
  }
  const get = (name: string) => {
    const v = env[name];
    if (!v) throw new AmazonConfigError(`seller ${seller.id}: environment variable ${name} is not set`);
    return v;
  };
  return { clientId: get(c.clientIdEnv), clientSecret: get(c.clientSecretEnv), refreshToken: get(c.refreshTokenEnv) };
}
