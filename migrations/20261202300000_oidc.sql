-- Sign-in through an identity provider (issue 15): the OpenID Connect flows begun and not yet
-- finished, kept in the database so that whichever node the provider sends the browser back to
-- finishes the flow another began. A flow is taken (deleted) when its callback arrives, so it is
-- good once; flows older than ten minutes are refused and swept when new ones begin.
CREATE TABLE oidc_flows (
    -- SHA-256 (hex) of the `state` sent to the provider; the state itself is kept only by the
    -- browser (in the URL and a cookie).
    state_hash     TEXT PRIMARY KEY,
    -- The PKCE code verifier (RFC 7636) and the ID token's expected nonce.
    pkce_verifier  TEXT NOT NULL,
    nonce          TEXT NOT NULL,
    -- Where to send the browser once signed in: a path of this service.
    return_to      TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX oidc_flows_created ON oidc_flows (created_at);
