package oidc

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

var errInvalidRefresh = &oauthError{http.StatusBadRequest, "invalid_grant", "Invalid refresh token"}

// grantRefresh is RFC 6749 section 6 with rotation: each use returns a new
// refresh token of the same family and spends the old one. Presenting a
// spent token again means it leaked: the whole family is revoked (OAuth
// 2.0 Security BCP section 4.14.2).
func (p *Provider) grantRefresh(r *http.Request, cl *client) (*issued, error) {
	rt := r.Form.Get("refresh_token")
	if rt == "" {
		return nil, errInvalidRequest("Missing refresh_token")
	}
	if len(rt) > 256 {
		return nil, errInvalidRefresh
	}
	t := tenant.FromContext(r.Context())
	now := p.Now()
	old, err := p.Store.RefreshTokens().Consume(r.Context(), t.ID, secret.Hash(rt), cl.id(), now)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errInvalidRefresh
	}
	if err != nil {
		return nil, err
	}
	if !old.UsedAt.IsZero() {
		if err := p.revokeGrant(r.Context(), t.ID, old.GrantID, now); err != nil {
			return nil, err
		}
		return nil, errInvalidRefresh
	}
	if !now.Before(old.ExpiresAt) {
		return nil, errInvalidRefresh
	}
	if revoked, err := p.Store.Revocations().AnyRevoked(r.Context(), t.ID, old.GrantID); err != nil || revoked {
		if err != nil {
			return nil, err
		}
		return nil, errInvalidRefresh
	}
	scope := old.Scope
	if req := r.Form.Get("scope"); req != "" { // narrowing only (RFC 6749 section 6)
		granted := strings.Fields(old.Scope)
		for _, s := range strings.Fields(req) {
			if !slices.Contains(granted, s) {
				return nil, &oauthError{http.StatusBadRequest, "invalid_scope", "The scope " + truncate(s, 64) + " was not granted."}
			}
		}
		scope = strings.Join(strings.Fields(req), " ")
	}
	u, err := p.userFor(r.Context(), cl, t.ID, old.UserID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && u.Disabled) {
		return nil, errInvalidRefresh
	}
	if err != nil {
		return nil, err
	}
	grant, err := p.access(r.Context(), cl, u)
	if _, refused := failure.As(err); refused {
		return nil, errInvalidRefresh // the user lost access to the application
	}
	if err != nil {
		return nil, err
	}
	aud, _, err := p.apiAudiences(r.Context(), t.ID, cl, splitScope(scope))
	if err != nil {
		return nil, err
	}
	g := &grantInfo{tenantID: t.ID, issuer: p.issuer(r), client: cl, user: u, scope: scope, refreshScope: old.Scope, grantID: old.GrantID, grant: grant, audiences: aud,
		sid: old.SID, authTime: old.AuthTime, amr: old.AMR, acr: old.ACR}
	return p.issue(r.Context(), g, now)
}
