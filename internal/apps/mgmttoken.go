package apps

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// reuseMargin: a repeated token request gets the client's current token
// while it has at least this long to live (OneAccess hands back the live
// token with its remaining lifetime; ONEACCESS-API.md 1.1).
const reuseMargin = 60 * time.Second

// MgmtToken is an issued management access token.
type MgmtToken struct {
	AccessToken string
	ExpiresIn   int // seconds left
	Scope       string
	ExpiresAt   time.Time
}

func tokenContext(tenantID, clientID string) string { return "mgmt-token:" + tenantID + ":" + clientID }

// IssueToken returns the client's live token when it has more than a
// minute left, else a new one. Earlier tokens stay valid until they expire.
func (c *Clients) IssueToken(ctx context.Context, cl *storage.APIClient) (MgmtToken, error) {
	now := c.Now()
	scope := strings.Join(cl.Permissions, " ")
	if t, err := c.Store.MgmtTokens().Latest(ctx, cl.TenantID, cl.ClientID, now.Add(reuseMargin)); err == nil {
		if raw, err := c.Sealer.Open(t.Sealed, tokenContext(cl.TenantID, cl.ClientID)); err == nil {
			// The scope reported is the client's present one; permission
			// checks always read the client anyway.
			return MgmtToken{AccessToken: string(raw), ExpiresIn: int(t.ExpiresAt.Sub(now) / time.Second),
				Scope: scope, ExpiresAt: t.ExpiresAt}, nil
		}
	} else if !errors.Is(err, storage.ErrNotFound) {
		return MgmtToken{}, err
	}
	if err := c.Store.MgmtTokens().DeleteExpired(ctx, cl.TenantID, cl.ClientID, now); err != nil {
		return MgmtToken{}, err
	}
	raw := idgen.UUID()
	exp := now.Add(c.TokenLifetime).Truncate(time.Millisecond)
	err := c.Store.MgmtTokens().Create(ctx, &storage.MgmtToken{
		TenantID: cl.TenantID, Hash: secret.Hash(raw), ClientID: cl.ClientID,
		Sealed: c.Sealer.Seal([]byte(raw), tokenContext(cl.TenantID, cl.ClientID)),
		Scope:  scope, IssuedAt: now, ExpiresAt: exp,
	})
	if err != nil {
		return MgmtToken{}, err
	}
	return MgmtToken{AccessToken: raw, ExpiresIn: int(c.TokenLifetime / time.Second), Scope: scope, ExpiresAt: exp}, nil
}

var errBadToken = failure.New(failure.Unauthenticated, "invalid_token", "", "Invalid access token.")

// AuthenticateToken returns the client behind a live management token of
// the tenant. A token of another tenant is as unknown as a made-up one.
func (c *Clients) AuthenticateToken(ctx context.Context, tenantID, token string) (*storage.APIClient, error) {
	if token == "" || len(token) > 256 {
		return nil, errBadToken
	}
	t, err := c.Store.MgmtTokens().GetByHash(ctx, tenantID, secret.Hash(token))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errBadToken
	}
	if err != nil {
		return nil, err
	}
	if !c.Now().Before(t.ExpiresAt) {
		return nil, errBadToken
	}
	cl, err := c.Store.APIClients().Get(ctx, tenantID, t.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errBadToken
	}
	if err != nil {
		return nil, err
	}
	if cl.ApplicationID != "" { // a disabled application's tokens stop being active
		app, err := c.Store.Apps().Get(ctx, tenantID, cl.ApplicationID)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && app.Disabled) {
			return nil, errBadToken
		}
		if err != nil {
			return nil, err
		}
	}
	return cl, nil
}
