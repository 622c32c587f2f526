// A real OpenID provider (the npm package oidc-provider) on loopback, for the OIDC sign-in tests.
//
// Run: node tests/oidc/provider.mjs   with the environment
//   ACCOUNTS_FILE   JSON file {"<account id = sub>": {claims...}}, read again on every lookup so a
//                   test can change an account's claims (e.g. its groups) between sign-ins
//   REDIRECT_URIS   comma-separated redirect URIs of the client "procura"
//   CLIENT_SECRET   the client's secret
//   PORT            optional; 0 or unset: a free port
// It listens on 127.0.0.1, prints one line "ISSUER http://127.0.0.1:<port>" when ready, and stops
// on SIGTERM. The sign-in and consent pages are oidc-provider's own development interactions
// (plain HTML forms: the login form takes the account id, any password is accepted).
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const accountsFile = process.env.ACCOUNTS_FILE;
const redirectUris = (process.env.REDIRECT_URIS || '').split(',').map((s) => s.trim()).filter(Boolean);
if (!accountsFile || !redirectUris.length || !process.env.CLIENT_SECRET) {
  console.error('ACCOUNTS_FILE, REDIRECT_URIS and CLIENT_SECRET are required');
  process.exit(2);
}

function accounts() {
  return JSON.parse(readFileSync(accountsFile, 'utf8'));
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', use: 'sig', alg: 'RS256' };

const server = http.createServer();
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'procura',
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [signingKey] },
    cookies: { keys: ['procura-oidc-test-cookie-key'] },
    claims: {
      openid: ['sub'],
      profile: ['name', 'family_name', 'given_name', 'middle_name', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      const claims = accounts()[id];
      if (!claims) return undefined;
      return { accountId: id, async claims() { return { ...claims, sub: id }; } };
    },
  });
  server.on('request', provider.callback());
  console.log(`ISSUER ${issuer}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
