// A real OpenID provider for tests/api/oidc.rs: panva's oidc-provider (OpenID Certified), with
// its development login and consent forms, on the loopback at PORT.
//
// Environment: PORT (the port to listen on), REDIRECT_URI (motcua's callback, registered for
// the client `motcua`, secret `secret`).
//
// The login name typed into the form is the subject, and decides the claims released:
//   staff:<username>        preferred_username = <username>
//   citizen:<id number>     id_number = <id number>
//   business:<tax code>     tax_code = <tax code>
//   anything else           no claim motcua maps
// A prefix up to a `|` makes another subject with the same claims (`impostor|staff:canbo1`).
// Everyone is named "Nguyễn Văn An". `id_number` and `tax_code` are released with the scope
// `vn_identity`; with an access token issued, the provider puts scope claims in the user-info
// answer, not the ID token (its default, `conformIdTokenClaims`), as many providers do.

import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const redirectUri = process.env.REDIRECT_URI;
if (!port || !redirectUri) {
  console.error('PORT and REDIRECT_URI are required');
  process.exit(2);
}

function claimsOf(id) {
  const spec = id.split('|').pop();
  const [kind, value] = spec.includes(':') ? spec.split(/:(.*)/s, 2) : ['', spec];
  const claims = { sub: id, name: 'Nguyễn Văn An' };
  if (kind === 'staff') claims.preferred_username = value;
  if (kind === 'citizen') claims.id_number = value;
  if (kind === 'business') claims.tax_code = value;
  return claims;
}

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: 'motcua',
      client_secret: 'secret',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    vn_identity: ['id_number', 'tax_code'],
  },
  scopes: ['openid', 'profile', 'vn_identity'],
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => claimsOf(id),
  }),
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${port}`);
});
