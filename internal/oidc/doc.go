// Package oidc is Gatehouse's OAuth 2.0 and OpenID Connect provider, at
// OneAccess's paths under /api/v1/oauth2 (ONEACCESS-API.md section 4).
//
// Files by endpoint: discovery.go (discovery document, JWKS), authorize.go
// (the authorization endpoint and its resume after sign-in), consent.go,
// token.go (the token endpoint: shared checks, then grant_*.go per grant
// type), userinfo.go, introspect.go (RFC 7662), revoke.go (RFC 7009),
// logout.go (RP-initiated logout and OneAccess's global logout).
//
// Tokens: access tokens are opaque by default, as in OneAccess: sealed
// (XChaCha20-Poly1305) self-contained values, so issuing one writes nothing;
// revocation and introspection still hold through the revocations table
// and live checks of the client and the user. Applications may choose
// RFC 9068 JWT access tokens. Authorization codes and refresh tokens are
// rows, stored by hash and consumed atomically.
package oidc
