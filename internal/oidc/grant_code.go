package oidc

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// grantCode is RFC 6749 section 4.1.3 with PKCE (RFC 7636). Every bad
// code (used, expired, unknown, another client's, wrong redirect_uri,
// wrong verifier) gets OneAccess's one answer, errInvalidCode. A code used
// twice also revokes what its first exchange issued (section 4.1.2).
func (p *Provider) grantCode(r *http.Request, cl *client) (*issued, error) {
	code := r.Form.Get("code")
	if code == "" {
		return nil, errInvalidRequest("Missing code")
	}
	if len(code) > 256 {
		return nil, errInvalidCode
	}
	t := tenant.FromContext(r.Context())
	now := p.Now()
	// Another client's code is unknown here and is left untouched. The
	// user comes with the code (one round trip on PostgreSQL) unless the
	// application's access policy reads the user's memberships.
	needsOrgs := apps.NeedsOrgs(&cl.app.Application)
	var c *storage.AuthCode
	var u *storage.User
	var err error
	if needsOrgs {
		c, err = p.Store.Codes().Consume(r.Context(), t.ID, secret.Hash(code), cl.id(), now)
	} else {
		c, u, err = p.Store.Codes().ConsumeWithUser(r.Context(), t.ID, secret.Hash(code), cl.id(), now)
	}
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errInvalidCode
	}
	if err != nil {
		return nil, err
	}
	if !c.UsedAt.IsZero() {
		if err := p.revokeGrant(r.Context(), t.ID, c.GrantID, now); err != nil {
			return nil, err
		}
		return nil, errInvalidCode
	}
	if !now.Before(c.ExpiresAt) {
		return nil, errInvalidCode
	}
	if ru := r.Form.Get("redirect_uri"); ru != "" && ru != c.RedirectURI {
		return nil, errInvalidCode
	}
	verifier := r.Form.Get("code_verifier")
	switch {
	case c.CodeChallenge != "":
		if !validVerifier(verifier) {
			return nil, errInvalidCode
		}
		sum := sha256.Sum256([]byte(verifier))
		if subtle.ConstantTimeCompare([]byte(b64.EncodeToString(sum[:])), []byte(c.CodeChallenge)) != 1 {
			return nil, errInvalidCode
		}
	case verifier != "":
		return nil, errInvalidCode // a verifier for a code issued without a challenge
	}
	if needsOrgs {
		u, err = p.Store.Users().Get(r.Context(), t.ID, c.UserID)
		if errors.Is(err, storage.ErrNotFound) {
			u, err = nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
	if u == nil || u.Disabled { // gone or disabled since the sign-in
		return nil, errInvalidCode
	}
	grant, err := p.access(r.Context(), cl, u)
	if _, refused := failure.As(err); refused {
		return nil, errInvalidCode // the user lost access since the sign-in
	}
	if err != nil {
		return nil, err
	}
	aud, _, err := p.apiAudiences(r.Context(), t.ID, cl, splitScope(c.Scope))
	if err != nil {
		return nil, err
	}
	g := &grantInfo{tenantID: t.ID, issuer: p.issuer(r), client: cl, user: u, scope: c.Scope, grantID: c.GrantID,
		sid: c.SID, authTime: c.AuthTime, amr: c.AMR, acr: c.ACR, nonce: c.Nonce, grant: grant, audiences: aud}
	return p.issue(r.Context(), g, now)
}

// validVerifier checks RFC 7636 section 4.1: 43-128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// revokeGrant revokes every token of one authorization: its refresh
// tokens are deleted and its access tokens stop being active.
func (p *Provider) revokeGrant(ctx context.Context, tenantID, grantID string, now time.Time) error {
	if err := p.Store.RefreshTokens().DeleteGrant(ctx, tenantID, grantID); err != nil {
		return err
	}
	// Keep the revocation as long as any token of the grant may live.
	return p.Store.Revocations().Revoke(ctx, tenantID, grantID, now.Add(400*24*time.Hour))
}
