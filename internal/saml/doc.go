// Package saml is Gatehouse's SAML 2.0 identity provider at OneAccess's
// paths (ONEACCESS-API.md 4.4): metadata at /api/v1/saml2/idp/metadata
// (also each tenant's entity id), single sign-on at /api/v1/saml2/idp/sso
// (SP-initiated with the HTTP-Redirect and HTTP-POST bindings, IdP-initiated
// with ?sp=<entity id>) and single logout at /api/v1/saml2/idp/slo.
//
// A request is read in three steps: the binding (binding.go: base64,
// bounded inflate, the query signature's octets), the XML (xmlmsg.go:
// bounded, no DTD, round-trip checked, one root of the expected type), then
// the protocol (authnrequest.go, slo.go: the service provider by its
// Issuer, its signature (verify.go), IssueInstant, Destination, the ACS,
// single use of the request ID). A request that fails gets a page that
// says why and nothing is sent to any URL that is not registered.
//
// Responses (assertion.go, response.go) are signed with the tenant's
// RS256 key (RSA-SHA256, exclusive c14n; sign.go), optionally encrypted
// to the service provider (encrypt.go: AES-GCM, key sent with RSA-OAEP),
// and posted through the browser (one auto-submit script, CSP-pinned).
// The SSO session is the one OIDC and CAS use; saml_sessions remembers
// which service providers a session signed in to, so that logout reaches
// them one after another through the browser (logout.go).
package saml
