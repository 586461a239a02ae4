// Package cas is Gatehouse's CAS server (CAS protocol 1.0, 2.0 and 3.0)
// under OneAccess's /api/v1/cas prefix (ONEACCESS-API.md 4.3): login with
// service, renew and gateway; logout; validate (1.0); serviceValidate and
// proxyValidate (2.0); p3/serviceValidate and p3/proxyValidate (3.0, with
// attributes); proxy tickets; XML and JSON responses.
//
// Service and proxy tickets are single-use, short-lived, stored by hash
// and bound to their service, which must match one of a cas application's
// service patterns. The SSO session is the one OIDC uses: a user signed in
// through any protocol reaches a CAS service with no second prompt.
package cas
