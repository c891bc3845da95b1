// A real OpenID Provider for the tests (the npm package oidc-provider, not a mock), standing in
// for a municipality's DigiD/eHerkenning broker. Its development login accepts any login name;
// the name becomes the subject, which knop maps to a user.
//
// Environment: PORT (default 18090), REDIRECT_URI (knop's callback), CLIENT_SECRET.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT ?? 18090);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: 'knop',
      client_secret: process.env.CLIENT_SECRET ?? 'knop-test-secret',
      redirect_uris: [process.env.REDIRECT_URI ?? 'http://127.0.0.1:18087/inloggen/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  // Short-lived test keys are generated at start; nothing is stored.
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on http://127.0.0.1:${port}`);
});
