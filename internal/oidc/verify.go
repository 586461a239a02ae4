package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// activeToken is a live access token and, for a user's token, its user.
type activeToken struct {
	tok    *accessToken
	client *client
	user   *storage.User
	grant  *apps.Grant // the user's account and roles, when needed
}

// errInactive covers every reason a token is not active: malformed,
// foreign, expired, revoked, its client gone or disabled, its user gone or
// disabled. RFC 7662 asks not to tell them apart.
var errInactive = errors.New("oidc: token not active")

// checkAccessToken decodes an access token of either format and checks,
// at this moment, everything that keeps it active.
func (p *Provider) checkAccessToken(ctx context.Context, tenantID, raw string) (*activeToken, error) {
	var t *accessToken
	if strings.Count(raw, ".") == 2 {
		payload, typ, err := p.Keys.Verify(ctx, tenantID, raw)
		if err != nil || typ != "at+jwt" {
			return nil, errInactive
		}
		var c struct {
			Sub, ClientID, JTI, Scope, GID, SID string
			Exp, Iat                            int64
		}
		if json.Unmarshal(payload, &struct {
			Sub      *string `json:"sub"`
			ClientID *string `json:"client_id"`
			JTI      *string `json:"jti"`
			Scope    *string `json:"scope"`
			GID      *string `json:"gid"`
			SID      *string `json:"sid"`
			Exp      *int64  `json:"exp"`
			Iat      *int64  `json:"iat"`
		}{&c.Sub, &c.ClientID, &c.JTI, &c.Scope, &c.GID, &c.SID, &c.Exp, &c.Iat}) != nil {
			return nil, errInactive
		}
		t = &accessToken{TenantID: tenantID, ClientID: c.ClientID, Subject: c.Sub, UserToken: c.Sub != c.ClientID,
			GrantID: c.GID, JTI: c.JTI, Scope: c.Scope, SID: c.SID, IssuedAt: c.Iat, ExpiresAt: c.Exp}
	} else {
		var err error
		if t, err = p.opaque.open(tenantID, raw); err != nil {
			return nil, errInactive
		}
	}
	if p.Now().Unix() >= t.ExpiresAt {
		return nil, errInactive
	}
	cl, err := p.clients.get(ctx, tenantID, t.ClientID)
	if errors.Is(err, errNoClient) {
		return nil, errInactive
	}
	if err != nil {
		return nil, err
	}
	revoked, err := p.Store.Revocations().AnyRevoked(ctx, tenantID, t.JTI, t.GrantID)
	if err != nil {
		return nil, err
	}
	if revoked {
		return nil, errInactive
	}
	out := &activeToken{tok: t, client: cl}
	if t.UserToken {
		u, err := p.userFor(ctx, cl, tenantID, t.Subject)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && u.Disabled) {
			return nil, errInactive
		}
		if err != nil {
			return nil, err
		}
		out.user = u
		// The application's access policy holds for tokens already issued:
		// removing a user's access stops them at once.
		grant, err := p.access(ctx, cl, u)
		if _, refused := failure.As(err); refused {
			return nil, errInactive
		}
		if err != nil {
			return nil, err
		}
		out.grant = grant
	}
	return out, nil
}
